// `warren up`: the control plane plus N local node processes on one box (the `local` provider), until Ctrl-C.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ADMIN_TOKEN_FILE,
  ConfigError,
  loadControlConfig,
  type RunningControl,
  rememberLocalNodePort,
  startControl,
  UP_FILE,
} from '../control/index.ts';
import { DataDirLockedError } from '../disk/index.ts';

/** What `warren up` writes to `<data>/up.json` once everything is ready, for scripts to drive it. */
export interface UpFile {
  controlUrl: string;
  adminToken: string;
  nodes: { id: string; url: string }[];
}

export const usage = `usage: warren up [--port 7400] [--data .warren] [--nodes 1] [--host 127.0.0.1]

Runs the control plane and N local nodes (direct mode) until Ctrl-C. Running it again keeps all state.`;

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
    console.log(usage);
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
  if (config.infra.provider.kind !== 'local') {
    console.error('warren up: runs local nodes; unset WARREN_PROVIDER (or set it to local)');
    return 2;
  }
  // Nodes listen where the control plane does (`--host`).
  config.infra.provider = { ...config.infra.provider, listenHost: config.host };
  const dataDir = resolve(config.dataDir);
  // On --port 0 the URL (the default `iss`) changes every run, which would void the certificates of the nodes
  // coming back; the data dir names this deployment instead.
  if (config.port === 0 && !config.issuer) config.issuer = `warren-up:${dataDir}`;
  let control: RunningControl;
  try {
    control = await startControl(config);
  } catch (e) {
    // Another `up` (or `warren control`) runs on this data dir: a second one would start every node twice.
    if (e instanceof DataDirLockedError) {
      console.error(`warren up: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const adminToken = readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim();
  const { fleet, store } = control.deps;
  const stopAll = () => control.stop();
  try {
    // Nodes of an earlier run come back first (same ids, same workspaces); missing ones are created.
    const since = Date.now();
    await fleet.start();
    const have = (await fleet.provider.list()).length;
    const created = Array.from({ length: Math.max(0, count - have) }, () =>
      fleet.create({ createdBy: null }),
    );
    await Promise.all(created.map((r) => fleet.settled(r.nodeId)));
    const failed = created.find((r) => r.state !== 'ready');
    if (failed) throw new Error(`node ${failed.nodeId} did not start: ${failed.error ?? failed.state}`);
    const ready: { nodeId: string; url: string }[] = [];
    for (const n of await fleet.provider.list()) {
      // A resumed node reports its new address with its first heartbeat.
      const row = await waitFor(async () => {
        const r = await store.nodes.get(n.nodeId);
        return r?.status === 'online' && (r.lastHeartbeatAt ?? 0) >= since ? r : undefined;
      });
      ready.push({ nodeId: n.nodeId, url: row.address });
      // The next `up` starts this node on the same port, so its URL and its apps' links stay the same.
      rememberLocalNodePort(dataDir, n.nodeId, row.address);
    }
    const upFile: UpFile = {
      controlUrl: control.url,
      adminToken,
      nodes: ready.map((r) => ({ id: r.nodeId, url: r.url })),
    };
    writeFileSync(join(dataDir, UP_FILE), `${JSON.stringify(upFile, null, 2)}\n`, { mode: 0o600 });
    const names = new Map((await store.nodes.list()).map((n) => [n.id, n.name]));
    const admin = (await control.deps.store.users.list()).find((u) => u.role === 'admin');
    const loginLink = admin ? await control.deps.credentials.loginLink(admin.id, control.url) : undefined;
    console.log(
      [
        '',
        `Warren is up: UI and API at ${control.url}`,
        ...ready.map((r) => `  ${names.get(r.nodeId) ?? r.nodeId}  ${r.nodeId}  ${r.url}`),
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
  });
  console.log('warren up: stopping nodes and the control plane…');
  await stopAll();
  return 0;
}

/** How long a node may take to join (or come back) before `up` gives up on it. */
const NODE_READY_TIMEOUT_MS = 30_000;

async function waitFor<T>(check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + NODE_READY_TIMEOUT_MS;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('a node did not come online in time');
    await Bun.sleep(50);
  }
}
