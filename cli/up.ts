// `warren up`: the control plane plus N local node processes on one box, until Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  ADMIN_TOKEN_FILE,
  ConfigError,
  loadControlConfig,
  type RunningControl,
  startControl,
} from '../control/index.ts';
import { createControlClient } from '../openapi/client/index.ts';

/** What `warren up` writes to `<data>/up.json` once everything is ready, for scripts to drive it. */
export interface UpFile {
  controlUrl: string;
  adminToken: string;
  nodes: { id: string; url: string }[];
}
export const UP_FILE = 'up.json';

const USAGE = `usage: warren up [--port 7400] [--data .warren] [--nodes 1] [--host 127.0.0.1]

Runs the control plane and N local nodes (direct mode) until Ctrl-C. Running it again keeps all state.`;

/** How long a node process may take to join and report ready before `up` gives up on it. */
const NODE_READY_TIMEOUT_MS = 30_000;
/** How long a node gets to stop its workspaces after SIGTERM before it is killed. */
const NODE_STOP_GRACE_MS = 10_000;

interface NodeProcess {
  child: ChildProcess;
  ready: Promise<{ nodeId: string; url: string }>;
}

function startNodeProcess(controlUrl: string, dir: string, name: string, listen: string, joinToken?: string) {
  const argv = [
    join(import.meta.dir, 'main.ts'),
    'node',
    'join',
    '--control',
    controlUrl,
    '--data',
    dir,
    '--name',
    name,
    '--listen',
    listen,
    '--network',
    'direct',
  ];
  if (joinToken) argv.push('--join-token', joinToken);
  // detached: its own process group, so a terminal's Ctrl-C reaches `up` alone and `up` stops nodes in order.
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const ready = new Promise<{ nodeId: string; url: string }>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not become ready`)), NODE_READY_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /^node ready (\{.*\})$/.exec(line);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveReady(JSON.parse(m[1]) as { nodeId: string; url: string });
      } else process.stdout.write(`[${name}] ${line}\n`);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before it was ready`));
    });
  });
  return { child, ready } satisfies NodeProcess;
}

async function stopNode(p: NodeProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), NODE_STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

export default async function up(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      nodes: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const count = Number(values.nodes ?? '1');
  if (!Number.isInteger(count) || count < 0 || count > 32) {
    console.error(`warren up: --nodes must be a whole number from 0 to 32, got "${values.nodes}"`);
    return 2;
  }
  let config: ReturnType<typeof loadControlConfig>;
  try {
    config = loadControlConfig({
      ...(values.port !== undefined ? { port: values.port } : {}),
      ...(values.data !== undefined ? { data: values.data } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`warren up: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const dataDir = resolve(config.dataDir);
  const control: RunningControl = await startControl(config);
  const adminToken = readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim();
  const client = createControlClient(control.url, { token: adminToken });
  const nodes: NodeProcess[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map(stopNode));
    await control.stop();
  };
  try {
    for (let i = 0; i < count; i++) {
      const dir = join(dataDir, 'nodes', `node-${i + 1}`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      let joinToken: string | undefined;
      if (!existsSync(join(dir, 'node.json'))) {
        const { data, error } = await client.POST('/api/v1/join-tokens', { body: { ttlSeconds: 600 } });
        if (!data) throw new Error(`could not create a join token: ${JSON.stringify(error)}`);
        joinToken = data.token;
      }
      // A fixed port per node when the control plane has one, so node URLs survive a restart of `up`.
      const listen = `${config.host}:${config.port === 0 ? 0 : config.port + 20 + i}`;
      nodes.push(startNodeProcess(control.url, dir, `node-${i + 1}`, listen, joinToken));
    }
    const ready = await Promise.all(nodes.map((n) => n.ready));
    const upFile: UpFile = {
      controlUrl: control.url,
      adminToken,
      nodes: ready.map((r) => ({ id: r.nodeId, url: r.url })),
    };
    writeFileSync(join(dataDir, UP_FILE), `${JSON.stringify(upFile, null, 2)}\n`, { mode: 0o600 });
    const admin = (await control.deps.store.users.list()).find((u) => u.role === 'admin');
    const loginLink = admin ? await control.deps.credentials.loginLink(admin.id, control.url) : undefined;
    console.log(
      [
        '',
        `Warren is up: UI and API at ${control.url}`,
        ...ready.map((r, i) => `  node-${i + 1}  ${r.nodeId}  ${r.url}`),
        loginLink ? `  Sign in (one-time link): ${loginLink}` : '',
        `  State in ${dataDir}; ${UP_FILE} has the URLs and the admin token. Ctrl-C stops everything.`,
        '',
      ].join('\n'),
    );
  } catch (e) {
    console.error(`warren up: ${(e as Error).message}`);
    await stopAll();
    return 1;
  }
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => resolveStop());
    process.once('SIGTERM', () => resolveStop());
    for (const n of nodes)
      n.child.once('exit', (code, signal) => {
        if (code !== 0 || signal)
          console.error(`warren up: a node exited (${signal ?? code}); the rest keep running`);
      });
  });
  console.log('warren up: stopping nodes and the control plane…');
  await stopAll();
  return 0;
}
