// `bun run bench sandbox`: the sandbox runtime against the process runtime — create → running, HTTP through a
// node's proxy to an app in a network namespace vs on loopback, and memory per idle workspace. Needs root.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkspaceAssignment } from '../../contract/index.ts';
import { localNodeConfig } from '../../node/index.ts';
import {
  createProcessRuntime,
  createSandboxIsolation,
  createWorkspaceRuntime,
  defaultSandboxConfig,
  groupMembers,
  startTestIssuer,
  workspaceSpec,
} from '../../node/testing/index.ts';
import { type BenchNode, startBenchNode, UPSTREAM_APP } from './_bench-node.ts';
import { type LoadResult, runLoad } from './_load-generator.ts';

interface Options {
  /** Workspace starts per runtime, interleaved. */
  starts: number;
  /** Idle workspaces per runtime whose memory is summed. */
  idle: number;
  durationSec: number;
  connections: number;
  /** Targets are loaded in turn, `rounds` times; each figure is the median (the machine is shared and noisy). */
  rounds: number;
}

function parseArgs(args: string[]): Options {
  const o: Options = { starts: 30, idle: 10, durationSec: 3, connections: 32, rounds: 3 };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--starts') o.starts = Number(args[++i]);
    else if (args[i] === '--idle') o.idle = Number(args[++i]);
    else if (args[i] === '--duration') o.durationSec = Number(args[++i]);
    else if (args[i] === '--connections') o.connections = Number(args[++i]);
    else if (args[i] === '--rounds') o.rounds = Number(args[++i]);
  }
  return o;
}

type Runtime = ReturnType<typeof createProcessRuntime>;

/** A runtime under test, with a wait for a workspace to report `running` (bounded) and the ids it still holds. */
interface Subject {
  name: 'sandbox' | 'process';
  runtime: Runtime;
  live: Set<string>;
  start(spec: WorkspaceAssignment): Promise<void>;
}

/** A workspace that is not running after this long is a failed run, not a slow one. */
const START_TIMEOUT_MS = 20_000;

function subject(name: Subject['name'], runtime: Runtime): Subject {
  const waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  runtime.onChange((r) => {
    const w = waiting.get(r.id);
    if (!w) return;
    if (r.status === 'running') w.resolve();
    else if (r.status === 'error' || r.status === 'stopped')
      w.reject(new Error(`${name} workspace ${r.id} ${r.status}: ${r.reason ?? ''}`));
  });
  const live = new Set<string>();
  return {
    name,
    runtime,
    live,
    async start(spec) {
      let timer: Timer | undefined;
      const running = new Promise<void>((resolve, reject) => {
        waiting.set(spec.id, { resolve, reject });
        timer = setTimeout(
          () => reject(new Error(`${name} workspace not running after ${START_TIMEOUT_MS} ms`)),
          START_TIMEOUT_MS,
        );
      });
      live.add(spec.id);
      runtime.start(spec);
      try {
        await running;
      } finally {
        clearTimeout(timer);
        waiting.delete(spec.id);
      }
    },
  };
}

async function removeAll(s: Subject): Promise<void> {
  for (const id of [...s.live]) {
    await s.runtime.remove(id);
    s.live.delete(id);
  }
}

/** Runs the sandbox benchmark and prints its tables. */
export default async function sandboxBench(args: string[]): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log(
      'skipped: `bench sandbox` needs root (network namespaces, workspace uids, cgroups); run it as root.',
    );
    return;
  }
  const o = parseArgs(args);
  const dirs = [mkdtempSync(join(tmpdir(), 'bench-sbx-')), mkdtempSync(join(tmpdir(), 'bench-proc-'))];
  const config = localNodeConfig();
  const isolation = createSandboxIsolation(dirs[0]!, { ...defaultSandboxConfig(), shell: '/bin/sh' });
  await isolation.reconcile();
  const subjects = [
    subject('sandbox', createWorkspaceRuntime(dirs[0]!, config.runtime, isolation)),
    subject('process', createProcessRuntime(dirs[1]!, config.runtime)),
  ];
  const issuer = await startTestIssuer({ heartbeatIntervalMs: 60_000 });
  const nodes: BenchNode[] = [];
  try {
    const starts = await startLatency(subjects, o.starts);
    const memory: Record<string, Memory> = {};
    for (const s of subjects) memory[s.name] = await idleMemory(s, o.idle);
    printRuntimeTable(o, starts, memory);
    const targets = await httpTargets(subjects, issuer, nodes);
    printHttpTable(o, await loadTargets(o, targets));
  } finally {
    for (const n of nodes) await n.stop();
    await issuer.stop();
    for (const s of subjects) {
      await removeAll(s);
      await s.runtime.shutdown();
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Milliseconds from `start` to `running`, per runtime: start, wait, remove, interleaving the runtimes. */
async function startLatency(subjects: Subject[], n: number): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(subjects.map((s) => [s.name, []]));
  for (const s of subjects) await measureStart(s); // warm-up: first-use costs (cgroup folders, page cache)
  for (let i = 0; i < n; i++) {
    for (const s of subjects) out[s.name]!.push(await measureStart(s));
  }
  return out;
}

async function measureStart(s: Subject): Promise<number> {
  const spec = workspaceSpec();
  const t0 = performance.now();
  await s.start(spec);
  const ms = performance.now() - t0;
  await s.runtime.remove(spec.id);
  s.live.delete(spec.id);
  return ms;
}

/** Per idle workspace: processes, summed VmRSS (shared pages count in each) and PSS (shared pages split), MiB. */
interface Memory {
  processes: number;
  rssMiB: number;
  pssMiB: number;
}

async function idleMemory(s: Subject, k: number): Promise<Memory> {
  const ids: string[] = [];
  for (let i = 0; i < k; i++) {
    const spec = workspaceSpec();
    ids.push(spec.id);
    await s.start(spec);
  }
  // Bounded settle: let the apps finish their start-up allocations before reading their memory.
  await Bun.sleep(1_000);
  const pids =
    s.name === 'sandbox'
      ? cgroupMembers(new Set(ids))
      : ids.flatMap((id) => {
          const pgid = s.runtime.processGroup(id);
          return pgid === undefined ? [] : groupMembers(pgid);
        });
  let rssKiB = 0;
  let pssKiB = 0;
  for (const pid of pids) {
    rssKiB += kib(`/proc/${pid}/status`, 'VmRSS');
    pssKiB += kib(`/proc/${pid}/smaps_rollup`, 'Pss');
  }
  await removeAll(s);
  return { processes: pids.length / k, rssMiB: rssKiB / 1024 / k, pssMiB: pssKiB / 1024 / k };
}

/** Pids whose cgroup path (v1 or v2) has one of `ids` as a folder: every process of those sandboxes. */
function cgroupMembers(ids: Set<string>): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/cgroup`, 'utf8');
    } catch {
      continue;
    }
    if (text.split('\n').some((line) => line.split('/').some((part) => ids.has(part))))
      out.push(Number(name));
  }
  return out;
}

/** A `Key:   123 kB` figure of a /proc file, 0 when the process is gone or the key is missing. */
function kib(file: string, key: string): number {
  try {
    return Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

/**
 * The tiny upstream four ways: directly at its address (the namespace's, or loopback), and through a real node's
 * proxy (token checked) — one node with `--runtime sandbox`, one with `--runtime process`.
 */
async function httpTargets(
  subjects: Subject[],
  issuer: Awaited<ReturnType<typeof startTestIssuer>>,
  nodes: BenchNode[],
): Promise<Target[]> {
  const targets: Target[] = [];
  for (const s of subjects) {
    const spec = workspaceSpec({ appCommand: UPSTREAM_APP });
    await s.start(spec);
    const t = s.runtime.get(spec.id);
    if (!t?.port) throw new Error(`the ${s.name} upstream has no port`);
    targets.push({
      name: `direct, ${where(s.name)} (${t.host})`,
      url: `http://${t.host}:${t.port}/`,
      headers: {},
    });
  }
  for (const s of subjects) {
    const node = await startBenchNode(issuer, `bench-${s.name}`, ['--runtime', s.name]);
    nodes.push(node);
    targets.push({ name: `through the proxy, ${where(s.name)}`, url: node.workspaceUrl, headers: node.auth });
  }
  return targets;
}

const where = (name: Subject['name']) => (name === 'sandbox' ? 'network namespace' : 'loopback');

async function loadTargets(o: Options, targets: Target[]): Promise<Record<string, LoadResult>> {
  for (const t of targets) await runLoad({ ...t, connections: o.connections, durationSec: 1 }); // warm-up
  const runs: Record<string, LoadResult[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let round = 0; round < o.rounds; round++) {
    for (const t of targets)
      runs[t.name]!.push(await runLoad({ ...t, connections: o.connections, durationSec: o.durationSec }));
  }
  const out: Record<string, LoadResult> = {};
  for (const [name, list] of Object.entries(runs)) {
    out[name] = {
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      rps: median(list.map((r) => r.rps)),
      errors: list.reduce((a, r) => a + r.errors, 0),
      tool: list[0]!.tool,
    };
  }
  return out;
}

const median = (xs: number[]) => quantile(xs, 0.5);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

const n = (x: number, d = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function printRuntimeTable(
  o: Options,
  starts: Record<string, number[]>,
  memory: Record<string, Memory>,
): void {
  const row = (label: string, f: (name: string) => number, d: number) => {
    const [a, b] = [f('sandbox'), f('process')];
    console.log(`| ${label} | ${n(a, d)} | ${n(b, d)} | ${n(a / b, 2)}× |`);
  };
  console.log(
    `Echo app (bun), ${o.starts} create → running per runtime (start, wait, remove; runtimes interleaved, after one warm-up each); ` +
      `memory of ${o.idle} idle workspaces per runtime (sandbox: every process in their cgroups; process: their process groups), divided by ${o.idle}.\n`,
  );
  console.log('| per workspace | sandbox | process | sandbox/process |\n|---|---:|---:|---:|');
  row('create → running p50 ms', (r) => quantile(starts[r]!, 0.5), 1);
  row('create → running p99 ms', (r) => quantile(starts[r]!, 0.99), 1);
  row('processes', (r) => memory[r]!.processes, 1);
  row('RSS MiB (shared pages counted in each process)', (r) => memory[r]!.rssMiB, 1);
  row('PSS MiB (shared pages split)', (r) => memory[r]!.pssMiB, 1);
}

function printHttpTable(o: Options, http: Record<string, LoadResult>): void {
  const tool = Object.values(http)[0]?.tool ?? 'bun';
  console.log(
    `\nThe same tiny upstream in a sandboxed workspace (its network namespace) and a process-runtime workspace (loopback); ` +
      `through a real node's proxy with a token. ${o.connections} keep-alive connections, ${o.durationSec} s per target × ${o.rounds} interleaved rounds (medians), load by ${tool}.\n`,
  );
  console.log('| target | p50 ms | p99 ms | req/s | errors |\n|---|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(http))
    console.log(`| ${name} | ${n(r.p50, 3)} | ${n(r.p99, 3)} | ${n(r.rps)} | ${r.errors} |`);
  const pick = (prefix: string, place: string) =>
    Object.entries(http).find(([k]) => k.startsWith(prefix) && k.includes(place))?.[1];
  for (const prefix of ['through the proxy', 'direct']) {
    const ns = pick(prefix, 'namespace');
    const lo = pick(prefix, 'loopback');
    if (!ns || !lo) continue;
    const kept = (100 * ns.rps) / lo.rps;
    const goal =
      prefix === 'direct' ? '' : ` (goal: at most 5 % lost — ${100 - kept <= 5 ? 'met' : 'missed'})`;
    console.log(
      `\n${prefix}, namespace/loopback: p50 ${n(ns.p50 / lo.p50, 2)}×, throughput ${n(kept, 1)} % (${n(Math.max(0, 100 - kept), 1)} % lost)${goal}`,
    );
  }
}
