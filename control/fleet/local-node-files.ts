// A local node machine's files below the control plane's data dir: its human name and the port it listened on.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The local provider's node machines, below the control plane's data dir: `nodes/<nodeId>/`. */
export const LOCAL_NODES_DIR = 'nodes';

/** In a local node's folder: the name it joined with (`local-N`), and the port it listened on last time. */
const LOCAL_NODE_NAME_FILE = 'name';
const LOCAL_NODE_PORT_FILE = 'listen-port';

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A local node's human name: the one it got before, else the first `local-N` no other local node holds. Chosen
 * and written synchronously, so nodes created at the same moment in this process never share a name.
 */
export function localNodeName(baseDir: string, dataDir: string): string {
  const file = join(dataDir, LOCAL_NODE_NAME_FILE);
  const had = readIfThere(file);
  if (had) return had;
  const taken = new Set(
    readdirSync(baseDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => readIfThere(join(baseDir, e.name, LOCAL_NODE_NAME_FILE))),
  );
  let n = 1;
  while (taken.has(`local-${n}`)) n++;
  writeFileSync(file, `local-${n}\n`, { mode: 0o600 });
  return `local-${n}`;
}

/**
 * The node's `--listen`: the port it had last time when that is still free, so the links to its apps
 * (`ws-{id}.localhost:PORT`) and its URL in up.json keep working across restarts; else a fresh one. Its mesh
 * port is picked afresh either way (the proxy's port + 1, the default, may be taken by anything).
 */
export function listenArgs(host: string, dataDir: string): string[] {
  const port = Number(readIfThere(join(dataDir, LOCAL_NODE_PORT_FILE)));
  if (!Number.isInteger(port) || port <= 0 || port > 65_535 || !portFree(host, port))
    return ['--listen', `${host}:0`];
  return ['--listen', `${host}:${port}`, '--mesh-listen', `${host}:0`];
}

function portFree(hostname: string, port: number): boolean {
  try {
    Bun.listen({ hostname, port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

/** Remembers the port a local node listens on (from its URL), for `listenArgs` the next time it starts. */
export function rememberLocalNodePort(controlDataDir: string, nodeId: string, url: string): void {
  const dir = join(controlDataDir, LOCAL_NODES_DIR, nodeId);
  const port = new URL(url).port;
  if (port && existsSync(dir)) writeFileSync(join(dir, LOCAL_NODE_PORT_FILE), `${port}\n`, { mode: 0o600 });
}
