// Real `warren control` and `warren node join` processes for the mesh and replica tests and the mesh benchmark.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Subprocess } from 'bun';
import { ECHO_APP, eventually } from '../node/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';
import { CONTROL_READY, NODE_READY, readReadyLine, spawnWarrenCli } from './testing/warren-process.ts';
import { untilWorkspaceStatus } from './testing/workspace-status.ts';

const ROOT = resolve(import.meta.dir, '..');

/** Mesh timings shared by the test processes: loopback-fast, with a suspicion window long enough to observe. */
export const TEST_MESH_CONFIG = {
  probeIntervalMs: 200,
  probeTimeoutMs: 100,
  // 5 · max(1, log10 N) · 200 ms = 1 s minimum suspicion for N ≤ 10; up to 6 s without confirmations.
  suspicionMult: 5,
  gossipIntervalMs: 50,
  pushPullIntervalMs: 2_000,
  syncTimeoutMs: 1_000,
};
/** The environment that gives a member process TEST_MESH_CONFIG's timings. */
export const TEST_MESH_ENV = { WARREN_MESH_CONFIG: JSON.stringify(TEST_MESH_CONFIG) };

/** A started process and the output it printed (stderr kept for failure messages). */
export interface Proc {
  readonly proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  readonly logs: string[];
  kill(signal?: NodeJS.Signals | number): void;
  exited: Promise<number>;
}

export interface SpawnOptions {
  /** Prefix, e.g. `['ip', 'netns', 'exec', 'ns-a']`. */
  wrap?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** A temp directory under the system temp dir. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Spawns `warren <args>` and resolves once a stdout line matches `ready`, with the line's JSON. */
export async function spawnWarren<T>(
  args: string[],
  ready: RegExp,
  o: SpawnOptions = {},
): Promise<{ p: Proc; ready: T }> {
  const proc = spawnWarrenCli(args, {
    cwd: ROOT,
    env: { WARREN_MESH_PROFILE: 'local', ...o.env },
    ...(o.wrap ? { wrap: o.wrap } : {}),
  });
  const logs: string[] = [];
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr) {
      logs.push(dec.decode(chunk));
      if (logs.length > 200) logs.shift();
    }
  })();
  const p: Proc = { proc, logs, kill: (s) => proc.kill(s), exited: proc.exited };
  try {
    const line = await readReadyLine<T>(proc, ready, `warren ${args[0]}`, o.timeoutMs ?? 20_000);
    // Keep draining stdout so the child never blocks on a full pipe.
    void proc.stdout.pipeTo(new WritableStream()).catch(() => {});
    return { p, ready: line.ready };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${logs.join('')}`);
  }
}

/** A running control plane process. */
export interface ControlProc extends Proc {
  url: string;
  dataDir: string;
  /** Written on the first start of a database only: empty for a replica joining an existing one. */
  adminToken: string;
}

export async function startControlProcess(
  o: SpawnOptions & { dataDir?: string; host?: string; port?: number; meshListen?: string } = {},
): Promise<ControlProc> {
  const dataDir = o.dataDir ?? tempDir('warren-mesh-control-');
  const args = ['control', '--port', String(o.port ?? 0), '--data', dataDir];
  if (o.host) args.push('--host', o.host);
  args.push('--mesh-listen', o.meshListen ?? '127.0.0.1:0');
  const { p, ready } = await spawnWarren<{ url: string }>(args, CONTROL_READY, o);
  const url = ready.url;
  const tokenFile = join(dataDir, 'admin-token');
  const adminToken = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
  return Object.assign(p, { url, dataDir, adminToken });
}

/** A running node process. */
export interface NodeProc extends Proc {
  name: string;
  nodeId: string;
  url: string;
  dataDir: string;
  /** The node's local admin credential from its data dir: what opens /_node/members and /_node/registry. */
  adminCredential: string;
}

export async function startNodeProcess(
  o: SpawnOptions & {
    controlUrl: string;
    /** Absent: resume from `dataDir` (a restart). */
    joinToken?: string;
    name: string;
    listen?: string;
    meshListen?: string;
    advertise?: string;
    dataDir?: string;
  },
): Promise<NodeProc> {
  const dataDir = o.dataDir ?? tempDir(`warren-mesh-${o.name}-`);
  const args = [
    'node',
    'join',
    '--control',
    o.controlUrl,
    '--data',
    dataDir,
    '--name',
    o.name,
    '--listen',
    o.listen ?? '127.0.0.1:0',
    '--mesh-listen',
    o.meshListen ?? '127.0.0.1:0',
  ];
  if (o.joinToken) args.push('--join-token', o.joinToken);
  if (o.advertise) args.push('--advertise', o.advertise);
  const { p, ready } = await spawnWarren<{ nodeId: string; url: string }>(args, NODE_READY, o);
  const adminCredential = readFileSync(join(dataDir, 'admin-credential'), 'utf8').trim();
  return Object.assign(p, { name: o.name, nodeId: ready.nodeId, url: ready.url, dataDir, adminCredential });
}

/** Ends a process (SIGCONT first, in case a test left it stopped) and waits for it. */
export async function stopProcess(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p) return;
  const dataDir = (p as Partial<NodeProc>).dataDir;
  try {
    await stopOnly(p, signal);
  } finally {
    if (dataDir && (p as Partial<NodeProc>).nodeId) killLeftoverApps(dataDir);
  }
}

async function stopOnly(p: Proc, signal: NodeJS.Signals): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.kill('SIGCONT');
  p.kill(signal);
  const done = await Promise.race([p.exited.then(() => true), Bun.sleep(5_000).then(() => false)]);
  if (!done) {
    p.kill('SIGKILL');
    await p.exited;
  }
}

/**
 * Ends the workspace apps a node left behind when it was killed with SIGKILL (a node ends its apps' process
 * groups itself on SIGTERM): their process groups are in the node's workspaces.json.
 */
export function killLeftoverApps(dataDir: string): void {
  const file = join(dataDir, 'workspaces.json');
  if (!existsSync(file)) return;
  try {
    for (const w of JSON.parse(readFileSync(file, 'utf8')) as { pgid?: number }[]) {
      if (!w.pgid) continue;
      try {
        process.kill(-w.pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  } catch {
    // A half-written file: nothing to clean.
  }
}

/** The generated API client of a control process. */
export type ControlClient = ReturnType<typeof createControlClient>;

/** A GET with a Bearer token: the status, Retry-After and the body as text. */
export async function getWithToken(url: string, token: string) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text };
}

/**
 * Creates a project and a workspace running the echo app on `nodeId` (with `more` of the create body, e.g. an
 * agent); resolves with its id once it runs.
 */
export async function createRunningWorkspace(
  client: ControlClient,
  name: string,
  nodeId: string,
  more: { agentCommand?: string; shell?: string } = {},
): Promise<string> {
  const project = await client.POST('/api/v1/projects', { body: { name: `p-${name}` } });
  const ws = await client.POST('/api/v1/workspaces', {
    body: {
      name,
      projectId: project.data!.id,
      nodeId,
      appCommand: `exec ${process.execPath} ${ECHO_APP}`,
      ...more,
    },
  });
  if (!ws.data) throw new Error(`workspace ${name} not created: ${ws.response.status}`);
  const id = ws.data.id;
  await untilWorkspaceStatus(client, id, 'running', `workspace ${name} running`, 20_000);
  return id;
}

/** A workspace token with the `http` scope. */
export async function httpToken(client: ControlClient, id: string): Promise<string> {
  const t = await client.POST('/api/v1/workspaces/{id}/tokens', {
    params: { path: { id } },
    body: { scopes: ['http'] },
  });
  if (!t.data) throw new Error(`no token for ${id}: ${t.response.status}`);
  return t.data.token;
}

/** A control process and nodes joined to it. */
export interface MeshCluster {
  control: ControlProc;
  client: ControlClient;
  nodes: NodeProc[];
}

/** Starts a control plane and one node per name; resolves once every node sees every member alive. */
export async function startMeshCluster(names: string[], env: Record<string, string>): Promise<MeshCluster> {
  const control = await startControlProcess({ env });
  const client = createControlClient(control.url, { token: control.adminToken });
  const nodes = await Promise.all(
    names.map(async (name) => {
      const jt = await client.POST('/api/v1/join-tokens', { body: {} });
      return startNodeProcess({ controlUrl: control.url, joinToken: jt.data!.token, name, env });
    }),
  );
  const alive = async (n: NodeProc) => {
    const res = await fetch(`${n.url}/_node/members`, {
      headers: { authorization: `Bearer ${n.adminCredential}` },
    });
    const view = (await res.json()) as { members: { state: string }[] };
    return view.members.filter((m) => m.state === 'alive').length;
  };
  await eventually(
    async () => {
      for (const n of nodes) if ((await alive(n)) < nodes.length + 1) return false;
      return true;
    },
    `all ${nodes.length + 1} members alive everywhere`,
    20_000,
  );
  return { control, client, nodes };
}

/** Stops the cluster's processes (those still running) and removes their data dirs. */
export async function stopMeshCluster(c: { control?: ControlProc; nodes: NodeProc[] }): Promise<void> {
  await Promise.all(c.nodes.map((n) => stopProcess(n)));
  await stopProcess(c.control);
  for (const n of c.nodes) rmSync(n.dataDir, { recursive: true, force: true });
  if (c.control) rmSync(c.control.dataDir, { recursive: true, force: true });
}
