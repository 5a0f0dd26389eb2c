// Harness for the sandbox tests: a real control plane and node process laid out like `warren up`, a terminal
// driven over the node's WebSocket, and the host-side state (namespaces, rules, cgroups) a node may leave.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ControlClient, createControlClient } from '../openapi/client/index.ts';
import { CONTROL_READY, NODE_READY, startWarren } from './testing/warren-process.ts';

export const ROOT = resolve(import.meta.dir, '..');
/** Both processes: stderr to the test's output, local mesh timings, 30 s to start (a sandboxed node builds its namespaces). */
const SPAWN = {
  stderr: 'inherit',
  env: { WARREN_MESH_PROFILE: 'local' },
  timeoutMs: 30_000,
} as const;

/** True when this machine can run the sandbox with a network namespace per workspace (root + bubblewrap). */
export const sandboxAvailable =
  process.getuid?.() === 0 && Bun.which('bwrap') !== null && Bun.which('iptables') !== null;

export interface ControlProcess {
  url: string;
  client: ControlClient;
  proc: Bun.Subprocess;
}

/** `warren control` on port 0 with its data in `dataDir` (the admin token it writes there signs the client in). */
export async function startControlProcess(dataDir: string): Promise<ControlProcess> {
  const { proc, ready } = await startWarren<{ url: string }, 'inherit'>(
    ['control', '--data', dataDir, '--port', '0'],
    CONTROL_READY,
    'the control plane',
    SPAWN,
  );
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  return { url: ready.url, client: createControlClient(ready.url, { token }), proc };
}

export interface NodeProcess {
  nodeId: string;
  url: string;
  proc: Bun.Subprocess;
}

/** `warren node join` with `args` (a joined data dir needs no token). */
export async function startNodeProcess(args: string[]): Promise<NodeProcess> {
  const { proc, ready } = await startWarren<{ nodeId: string; url: string }, 'inherit'>(
    ['node', 'join', ...args],
    NODE_READY,
    'the node',
    SPAWN,
  );
  return { ...ready, proc };
}

/**
 * Runs `command` in a workspace terminal (`/w/{id}/_terminal`, the path people use) and resolves with what it
 * printed and its exit code. A marker line tells where the output ends.
 */
export async function inTerminal(
  nodeUrl: string,
  workspaceId: string,
  token: string,
  command: string,
  timeoutMs = 15_000,
): Promise<{ output: string; code: number }> {
  const ws = new WebSocket(
    `${nodeUrl.replace(/^http/, 'ws')}/w/${workspaceId}/_terminal?token=${encodeURIComponent(token)}`,
  );
  ws.binaryType = 'arraybuffer';
  let text = '';
  const id = Math.random().toString(36).slice(2);
  // Markers are assembled by the shell (two quoted halves), so the echoed input line never matches them.
  const start = `__warren_start_${id}`;
  const end = `__warren_end_${id}`;
  const half = (m: string) => `"${m.slice(0, 8)}""${m.slice(8)}"`;
  const done = new Promise<{ output: string; code: number }>((resolveDone, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`terminal: no end marker in ${timeoutMs} ms: ${text}`)),
      timeoutMs,
    );
    ws.onmessage = (e) => {
      text += typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
      const clean = text.replace(/\r/g, '');
      const m = new RegExp(`${end}:(\\d+)`).exec(clean);
      const from = clean.indexOf(`${start}\n`);
      if (m && from >= 0) {
        clearTimeout(timer);
        resolveDone({ output: clean.slice(from + start.length + 1, m.index), code: Number(m[1]) });
      }
    };
    ws.onclose = () => reject(new Error(`terminal closed: ${text}`));
  });
  await new Promise<void>((r, reject) => {
    ws.onopen = () => r();
    ws.onerror = () => reject(new Error('terminal did not open'));
  });
  ws.send(
    `PS1=''; stty -echo 2>/dev/null; printf '%s\\n' ${half(start)}; ( ${command} ); printf '%s:%s\\n' ${half(end)} $?\n`,
  );
  try {
    return await done;
  } finally {
    // The session would outlive its socket for the grace period: end the shell with it.
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'close' }));
    ws.close();
  }
}

/** Slot claims under /run/warren/slots: workspace id → slot. */
export function slots(): Map<string, number> {
  const out = new Map<string, number>();
  const dir = '/run/warren/slots';
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    try {
      const [, workspaceId] = readFileSync(join(dir, name, 'owner'), 'utf8')
        .trim()
        .split(' ');
      if (workspaceId) out.set(workspaceId, Number(name));
    } catch {}
  }
  return out;
}

/** The workspace address and gateway of a slot in the default subnet 10.213.0.0/16. */
export function slotAddresses(slot: number): { address: string; gateway: string } {
  const n = slot * 4;
  const ip = (k: number) => `10.213.${Math.floor((n + k) / 256)}.${(n + k) % 256}`;
  return { address: ip(2), gateway: ip(1) };
}

/** What a slot leaves on the host: its namespace, its veth, rules naming it. */
export function slotTraces(slot: number): string[] {
  const traces: string[] = [];
  if (existsSync(`/run/netns/wrn${slot}`)) traces.push(`netns wrn${slot}`);
  if (existsSync(`/sys/class/net/wrn${slot}h`)) traces.push(`veth wrn${slot}h`);
  const rules = Bun.spawnSync(['sh', '-c', 'iptables-save']).stdout.toString();
  for (const line of rules.split('\n'))
    if (line.includes(`wrn${slot}h `) || line.endsWith(`wrn${slot}h`)) traces.push(line);
  return traces;
}

/** Cgroup folders of a workspace in any v1 hierarchy or the v2 tree. */
export function cgroupTraces(workspaceId: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name === workspaceId) found.push(join(dir, e.name));
      else walk(join(dir, e.name), depth + 1);
    }
  };
  for (const h of [
    '/sys/fs/cgroup/memory/warren',
    '/sys/fs/cgroup/pids/warren',
    '/sys/fs/cgroup/cpu/warren',
    '/sys/fs/cgroup/warren',
  ])
    walk(h, 0);
  return found;
}

/** Pids of processes running with `uid`. */
export function processesOf(uid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      // A zombie has ended; it only waits for its parent to read its exit status.
      if (m && Number(m[1]) === uid && !/^State:\s+Z/m.test(status)) out.push(Number(name));
    } catch {}
  }
  return out;
}

/** A host of the test's own: a network namespace joined to this machine by a veth pair (host `.1`, namespace `.2`). */
export interface NamespaceHost {
  /** The namespace's address. */
  address: string;
  /** The host's end of the pair. */
  gateway: string;
  /** Starts `argv` inside the namespace. */
  spawn(argv: string[]): Bun.Subprocess;
  stop(): void;
}

/**
 * Creates namespace `name` with the /30 `10.214.<block>.0`. A sandboxed workspace reaches it through the host's
 * forwarding (as it would an outside server), never through the host's own addresses, which it may not reach.
 */
export function startNamespaceHost(name: string, block: number, extraSteps: string[] = []): NamespaceHost {
  const gateway = `10.214.${block}.1`;
  const address = `10.214.${block}.2`;
  const sh = (cmd: string) => Bun.spawnSync(['sh', '-c', cmd], { stderr: 'pipe' });
  const procs: Bun.Subprocess[] = [];
  const stop = () => {
    for (const p of procs) p.kill('SIGKILL');
    sh(`ip netns pids ${name} 2>/dev/null | xargs -r kill -9`);
    sh(`ip netns del ${name} 2>/dev/null; ip link del ${name}h 2>/dev/null`);
  };
  stop();
  for (const step of [
    `ip netns add ${name}`,
    `ip link add ${name}h type veth peer name ${name}n`,
    `ip link set ${name}n netns ${name}`,
    `ip addr add ${gateway}/30 dev ${name}h`,
    `ip link set ${name}h up`,
    `ip -n ${name} addr add ${address}/30 dev ${name}n`,
    `ip -n ${name} link set ${name}n up`,
    `ip -n ${name} link set lo up`,
    `ip -n ${name} route add default via ${gateway}`,
    ...extraSteps,
  ]) {
    const r = sh(step);
    if (r.exitCode !== 0) throw new Error(`${step}: ${r.stderr.toString()}`);
  }
  return {
    address,
    gateway,
    spawn(argv) {
      const p = Bun.spawn(['ip', 'netns', 'exec', name, ...argv], { stdout: 'ignore', stderr: 'inherit' });
      procs.push(p);
      return p;
    },
    stop,
  };
}
