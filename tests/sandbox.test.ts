// The sandbox as a boundary, with real processes: a control plane and a root node laid out like `warren up`, two
// workspaces, and from inside one (its app, its terminal, its agent) every attack the issue lists, refused.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ECHO_APP, eventually, FIXTURE_AGENT } from '../node/testing/index.ts';
import {
  type ControlProcess,
  cgroupTraces,
  inTerminal,
  type NamespaceHost,
  type NodeProcess,
  processesOf,
  sandboxAvailable,
  slotAddresses,
  slots,
  slotTraces,
  startControlProcess,
  startNamespaceHost,
  startNodeProcess,
} from './sandbox-harness.ts';

if (!sandboxAvailable) console.warn('sandbox tests skipped: they need root, bubblewrap and iptables');

// The data dirs sit in a folder the sandbox shows read-only (as `.warren` inside a checkout does under
// `warren up`), so hiding them is what is tested, not a folder that happens to be out of view.
let root = '';
let controlDir = '';
let nodeDir = '';
let control: ControlProcess;
let node: NodeProcess;
let projectId = '';
let hostService: ReturnType<typeof Bun.serve> | undefined;
let loopbackService: ReturnType<typeof Bun.serve> | undefined;
const META_NS = 'wrnmeta';

/** A stand-in for the cloud metadata service in a namespace of the test's own; the host routes 169.254.169.254 there. */
let metadata: NamespaceHost | undefined;
function startMetadataStandIn(): void {
  Bun.spawnSync(['sh', '-c', 'ip route del 169.254.169.254/32 2>/dev/null']);
  metadata = startNamespaceHost(META_NS, 0, [
    `ip -n ${META_NS} addr add 169.254.169.254/32 dev lo`,
    'ip route add 169.254.169.254/32 via 10.214.0.2',
  ]);
  metadata.spawn([
    process.execPath,
    '-e',
    `Bun.serve({ hostname: '0.0.0.0', port: 80, fetch: () => new Response('metadata') })`,
  ]);
}

function stopMetadataStandIn(): void {
  Bun.spawnSync(['sh', '-c', 'ip route del 169.254.169.254/32 via 10.214.0.2 2>/dev/null']);
  metadata?.stop();
}

/** The node's flags: a root sandbox whose view includes the test folder (data dirs hidden in it). */
const nodeArgs = () => [
  '--control',
  control.url,
  '--data',
  nodeDir,
  '--listen',
  '127.0.0.1:0',
  '--runtime',
  'sandbox',
  '--sandbox-read-only',
  root,
  '--sandbox-hide',
  controlDir,
];

/** Waits until the control plane's view of the workspace satisfies `ok`. */
async function waitFor(
  id: string,
  ok: (w: { status: string; statusReason: string | null }) => boolean,
  what: string,
) {
  await eventually(
    async () => {
      const w = (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).data;
      return w !== undefined && ok(w);
    },
    what,
    30_000,
  );
}

async function createWorkspace(
  name: string,
  o: {
    appCommand?: string;
    agentCommand?: string;
    env?: Record<string, string>;
    resources?: { memoryMb?: number; pids?: number };
  } = {},
): Promise<string> {
  const ws = await control.client.POST('/api/v1/workspaces', {
    body: {
      name,
      projectId,
      nodeId: node.nodeId,
      appCommand: o.appCommand ?? `exec ${process.execPath} ${ECHO_APP}`,
      ...(o.agentCommand ? { agentCommand: o.agentCommand } : {}),
      ...(o.env ? { env: o.env } : {}),
      ...(o.resources ? { resources: o.resources } : {}),
    },
  });
  expect(ws.response.status).toBeLessThan(300);
  const id = ws.data!.id;
  await waitFor(id, (w) => w.status === 'running', `workspace ${name} running`);
  return id;
}

async function token(id: string, scopes: ('http' | 'terminal' | 'agent')[]): Promise<string> {
  const t = await control.client.POST('/api/v1/workspaces/{id}/tokens', {
    params: { path: { id } },
    body: { scopes },
  });
  expect(t.response.status).toBe(200);
  return t.data!.token;
}

/** The app port the node gave a workspace (its saved state). */
const appPort = (id: string): number =>
  (
    JSON.parse(readFileSync(join(nodeDir, 'workspaces.json'), 'utf8')) as {
      spec: { id: string };
      port?: number;
    }[]
  ).find((w) => w.spec.id === id)!.port!;

let a = '';
let b = '';
let aToken = '';

beforeAll(async () => {
  if (!sandboxAvailable) return;
  mkdirSync('/var/lib', { recursive: true });
  root = mkdtempSync('/var/lib/warren-sandbox-test-');
  controlDir = join(root, 'control');
  nodeDir = join(controlDir, 'nodes', 'n1', 'node');
  control = await startControlProcess(controlDir);
  const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
  node = await startNodeProcess(['--join-token', jt.data!.token, '--name', 'sandboxed', ...nodeArgs()]);
  const p = await control.client.POST('/api/v1/projects', { body: { name: 'sandbox' } });
  projectId = p.data!.id;
  // The agent records who it runs as and what it sees, then speaks ACP as the fixture agent.
  const agent = `id -u > "$HOME/agent-uid"; ls -1 / > "$HOME/agent-root"; exec ${process.execPath} ${FIXTURE_AGENT}`;
  const probe = `id -u > "$HOME/app-uid"; cat ${join(controlDir, 'admin-token')} > "$HOME/app-stolen" 2>&1; exec ${process.execPath} ${ECHO_APP}`;
  b = await createWorkspace('b', { env: { B_SECRET: 'only-b-knows' } });
  a = await createWorkspace('a', { appCommand: probe, agentCommand: agent });
  aToken = await token(a, ['http', 'terminal', 'agent']);
  hostService = Bun.serve({ hostname: '0.0.0.0', port: 0, fetch: () => new Response('host service') });
  loopbackService = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: () => new Response('loopback service'),
  });
  startMetadataStandIn();
}, 90_000);

afterAll(async () => {
  if (!sandboxAvailable) return;
  stopMetadataStandIn();
  hostService?.stop(true);
  loopbackService?.stop(true);
  node?.proc.kill('SIGTERM');
  await node?.proc.exited;
  control?.proc.kill('SIGTERM');
  await control?.proc.exited;
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!sandboxAvailable)('A sandboxed workspace', () => {
  const run = (cmd: string) => inTerminal(node.url, a, aToken, cmd);

  it('answers through the proxy, HTTP and WebSocket, from inside its own network namespace', async () => {
    const res = await fetch(`${node.url}/w/${a}/hello`, { headers: { authorization: `Bearer ${aToken}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { path: string }).path).toBe('/hello');
    const ws = new WebSocket(
      `${node.url.replace('http', 'ws')}/w/${a}/echo?token=${encodeURIComponent(aToken)}`,
    );
    const echoed = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send('ping');
      ws.onmessage = (e) => {
        if (String(e.data).includes('ping')) resolve(String(e.data));
      };
      ws.onerror = () => reject(new Error('websocket failed'));
    });
    ws.close();
    expect(echoed).toContain('ping');
    // The app is in a namespace of its own: not on the host's loopback.
    expect(slots().has(a)).toBe(true);
  });

  it('runs app, terminal and agent as one uid of its own, never 0 and never the node’s', async () => {
    const home = join(nodeDir, 'workspaces', a);
    const appUid = Number(readFileSync(join(home, 'app-uid'), 'utf8'));
    const term = await run('id -u');
    expect(term.code).toBe(0);
    expect(Number(term.output.trim().split('\n').pop())).toBe(appUid);
    expect(appUid).not.toBe(0);
    expect(appUid).not.toBe(process.getuid!());
    const agentUid = await eventually(() => {
      try {
        return readFileSync(join(home, 'agent-uid'), 'utf8').trim();
      } catch {
        return undefined;
      }
    }, 'the agent to start');
    expect(Number(agentUid)).toBe(appUid);
    // The agent sees the same root as the terminal: one mount view for every process of the workspace.
    expect(readFileSync(join(home, 'agent-root'), 'utf8')).toBe((await run('ls -1 /')).output);
  });

  it('cannot read the admin token, master key, control database, node key or certificate', async () => {
    expect(readFileSync(join(nodeDir, 'workspaces', a, 'app-stolen'), 'utf8')).not.toMatch(/wrn_api_/);
    for (const file of [
      join(controlDir, 'admin-token'),
      join(controlDir, 'master.key'),
      join(controlDir, 'control.db'),
      join(nodeDir, 'identity.json'),
      join(nodeDir, 'node.json'),
      join(nodeDir, 'admin-credential'),
    ]) {
      const r = await run(`cat ${file}`);
      expect(r.code).not.toBe(0);
    }
    // The folder holding them is visible (read-only) but the data dirs in it are empty.
    expect((await run(`ls -A ${controlDir} | wc -l`)).output.trim().split('\n').pop()).toBe('0');
  });

  it("cannot see another workspace's files or environment", async () => {
    expect((await run(`ls ${join(nodeDir, 'workspaces', b)}`)).code).not.toBe(0);
    expect((await run('ls -A /home')).output.trim().split('\n').pop()).toBe('workspace');
    const environ = await run(`cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c only-b-knows`);
    expect(environ.output.trim().split('\n').pop()).toBe('0');
    // Only its own processes are in its pid namespace.
    expect(Number((await run('ls -d /proc/[0-9]* | wc -l')).output.trim().split('\n').pop())).toBeLessThan(
      20,
    );
  });

  it("cannot connect to another workspace's app, the host's listeners, its loopback or the metadata address", async () => {
    const bAddress = slotAddresses(slots().get(b)!).address;
    const bPort = appPort(b);
    const gateway = slotAddresses(slots().get(a)!).gateway;
    const hostPort = hostService!.port;
    // The same connections from the host do succeed: the refusals below are the sandbox's doing.
    expect((await fetch(`http://${bAddress}:${bPort}/`)).status).toBe(200);
    expect(await (await fetch(`http://${gateway}:${hostPort}/`)).text()).toBe('host service');
    expect(await (await fetch('http://169.254.169.254/', { signal: AbortSignal.timeout(3000) })).text()).toBe(
      'metadata',
    );
    for (const url of [
      `http://${bAddress}:${bPort}/`,
      `http://${gateway}:${hostPort}/`,
      `http://127.0.0.1:${loopbackService!.port}/`,
      `${node.url}/health`,
      'http://169.254.169.254/',
    ]) {
      const r = await run(`curl -s -o /dev/null -m 2 ${url}`);
      expect(r.code).not.toBe(0);
    }
  });

  it('cannot write outside HOME and /tmp', async () => {
    for (const path of ['/etc/warren-x', '/usr/warren-x', '/warren-x', join(root, 'warren-x')]) {
      expect((await run(`touch ${path}`)).code).not.toBe(0);
    }
    expect((await run('touch "$HOME/ok" /tmp/ok /dev/shm/ok')).code).toBe(0);
  });

  it('reaches its own git credential socket, with no secret in its environment, and no other workspace’s', async () => {
    // The node answers through the socket mounted at /run/warren (this control plane has no GitHub App, so the
    // answer is an error in the one shape: what matters is that the request arrived as this workspace's).
    const asked = await run(
      `printf 'protocol=https\\nhost=github.com\\n\\n' | curl -s --unix-socket "$WARREN_GIT_SOCKET" --data-binary @- http://warren/_node/git-credential?op=get`,
    );
    expect(asked.code).toBe(0);
    expect(asked.output).toContain('"error"');
    expect((await run('echo "$WARREN_GIT_SOCKET"')).output.trim()).toBe('/run/warren/git.sock');
    expect((await run('env | grep -c -i -E "secret|ghs_"')).output.trim()).toBe('0');
    expect((await run(`ls ${join(nodeDir, 'sandbox', b)}`)).code).not.toBe(0);
    expect((await run('ls -A /run/warren')).output.trim()).toBe('git.sock');
  });
});

describe.skipIf(!sandboxAvailable)('Sandbox limits and cleanup', () => {
  it('contains a fork bomb and a memory hog, reports both, and other workspaces keep answering', async () => {
    const victim = await createWorkspace('victim', { resources: { memoryMb: 128, pids: 48 } });
    const bystander = await createWorkspace('bystander');
    const vToken = await token(victim, ['terminal']);
    const bToken = await token(bystander, ['http']);
    // A fork bomb that keeps what it starts: every fork past the limit is refused.
    // (The shell itself may die when a fork is refused; the terminal closing with it is fine.)
    await inTerminal(
      node.url,
      victim,
      vToken,
      'i=0; while [ $i -lt 500 ]; do sleep 60 & i=$((i+1)); done 2>/dev/null; true',
    ).catch(() => undefined);
    await waitFor(
      victim,
      (w) => w.statusReason?.includes('process limit of 48') === true,
      'the process limit reported',
    );
    const res = await fetch(`${node.url}/w/${bystander}/still`, {
      headers: { authorization: `Bearer ${bToken}` },
    });
    expect(res.status).toBe(200);
    // Restart clears the bomb; then a memory hog.
    await control.client.POST('/api/v1/workspaces/{id}/stop', { params: { path: { id: victim } } });
    await waitFor(victim, (w) => w.status === 'stopped', 'victim stopped');
    await control.client.POST('/api/v1/workspaces/{id}/start', { params: { path: { id: victim } } });
    await waitFor(victim, (w) => w.status === 'running', 'victim running again');
    const hog = await inTerminal(
      node.url,
      victim,
      await token(victim, ['terminal']),
      `${process.execPath} -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'`,
      30_000,
    );
    expect(hog.code).not.toBe(0);
    await waitFor(
      victim,
      (w) => w.statusReason?.includes('memory limit of 128 MiB') === true,
      'the memory limit reported',
    );
    const activity = await control.client.GET('/api/v1/workspaces/{id}/activity', {
      params: { path: { id: victim } },
    });
    expect(JSON.stringify(activity.data)).toContain('memory limit of 128 MiB');
    expect(
      (await fetch(`${node.url}/w/${bystander}/still`, { headers: { authorization: `Bearer ${bToken}` } }))
        .status,
    ).toBe(200);
  }, 120_000);

  it('stop and delete leave no namespace, veth, rule, cgroup or process behind', async () => {
    const id = await createWorkspace('transient');
    const slot = slots().get(id)!;
    const uid = 3_000_000 + slot;
    expect(slotTraces(slot).length).toBeGreaterThan(0);
    expect(cgroupTraces(id).length).toBeGreaterThan(0);
    expect(processesOf(uid).length).toBeGreaterThan(0);
    await control.client.POST('/api/v1/workspaces/{id}/stop', { params: { path: { id } } });
    await eventually(
      () => processesOf(uid).length === 0 && slotTraces(slot).length === 0,
      'stop to clean up',
      20_000,
    );
    expect(cgroupTraces(id)).toEqual([]);
    expect(slots().has(id)).toBe(false);
    await control.client.POST('/api/v1/workspaces/{id}/start', { params: { path: { id } } });
    await eventually(
      () => slots().has(id) && processesOf(3_000_000 + slots().get(id)!).length > 0,
      'running again',
      20_000,
    );
    const again = slots().get(id)!;
    await control.client.DELETE('/api/v1/workspaces/{id}', { params: { path: { id } } });
    await eventually(
      () => !slots().has(id) && slotTraces(again).length === 0 && processesOf(3_000_000 + again).length === 0,
      'delete to clean up',
      20_000,
    );
    expect(cgroupTraces(id)).toEqual([]);
  }, 90_000);

  it('a node killed with SIGKILL leaves nothing behind once it starts again', async () => {
    const id = await createWorkspace('survivor');
    const before = slots().get(id)!;
    node.proc.kill('SIGKILL');
    await node.proc.exited;
    // bwrap dies with its parent: the workspace's processes go with the node.
    await eventually(
      () => processesOf(3_000_000 + before).length === 0,
      'the sandbox to die with the node',
      10_000,
    );
    node = await startNodeProcess(nodeArgs());
    await eventually(
      () => slots().has(id) && processesOf(3_000_000 + slots().get(id)!).length > 0,
      'restored',
      30_000,
    );
    // Exactly one namespace per running workspace of this node: nothing duplicated, nothing stale.
    const mine = [...slots().values()];
    const namespaces =
      readFileSync('/proc/self/mounts', 'utf8').length >= 0
        ? Bun.spawnSync(['ip', 'netns', 'list']).stdout.toString()
        : '';
    for (const s of mine) expect(namespaces).toContain(`wrn${s}`);
    const stale = namespaces
      .split('\n')
      .map((l) => /^wrn(\d+)\b/.exec(l)?.[1])
      .filter((s) => s !== undefined && !mine.includes(Number(s)));
    expect(stale).toEqual([]);
  }, 90_000);
});
