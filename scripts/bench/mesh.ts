// `bun run bench mesh`: the mesh simulator at N = 100, 1,000 and 5,000 — convergence, bandwidth, detection, false positives.
import { defaultMeshConfig } from '../../mesh/index.ts';
import { type SimulationReport, simulate } from '../../mesh/testing/index.ts';
import { measurePartialPartition, type PartitionReport } from './mesh-partition.ts';
import { measureProcesses, type ProcessReport } from './mesh-processes.ts';

interface Run {
  members: number;
  /** Simulated length of the 10 %-loss false-positive run. */
  falsePositiveMs: number;
}

/** The default plan keeps the whole bench under ~3 minutes on a 2-core machine. */
const PLAN: Run[] = [
  { members: 100, falsePositiveMs: 10 * 60_000 },
  { members: 1000, falsePositiveMs: 5 * 60_000 },
  // Fewer simulated seconds at 5,000: each false suspicion makes every member verify, ~3 s of CPU per simulated second.
  { members: 5000, falsePositiveMs: 15_000 },
];

const s = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

function row(r: SimulationReport): string {
  const fp = r.falsePositives
    ? `${r.falsePositives.deaths} deaths, ${r.falsePositives.suspicions} suspicions in ${
        r.falsePositives.durationMs >= 60_000
          ? `${r.falsePositives.durationMs / 60_000} min`
          : `${r.falsePositives.durationMs / 1000} s`
      }`
    : 'not run';
  return `| ${r.members} | ${s(r.convergence.p99Ms)} | ${s(r.convergence.p100Ms)} | ${(
    r.bytesPerMemberPerSec / 1024
  ).toFixed(
    2,
  )} KB/s | ${r.messagesPerMemberPerSec.toFixed(1)} | ${s(r.detection.firstMs)} | ${s(r.detection.p99Ms)} | ${s(
    r.detection.allDeadMs,
  )} | ${fp} | ${(r.wallMs / 1000).toFixed(1)} s |`;
}

/** Real-process runs (loopback, production timings): N = 10 and N = 50. */
const PROCESS_PLAN = [10, 50];

function processRow(r: ProcessReport): string {
  return `| ${r.members} (processes) | ${s(r.p99Ms)} | ${s(r.p100Ms)} | ${(
    r.bytesPerMemberPerSec / 1024
  ).toFixed(
    2,
  )} KB/s | – | kill -9 → 503 at another node: ${r.killTo503Ms} ms | join → every registry has every member: ${
    r.joinConvergedMs === null ? '> 40 s' : s(r.joinConvergedMs)
  } | ${s(r.killToDeadMs)} | not run | ${(r.wallMs / 1000).toFixed(1)} s |`;
}

function partitionTable(r: PartitionReport): string {
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const opt = (x: number | null) => (x === null ? 'none' : ms(x));
  return [
    '\nPartial partition (real processes in network namespaces, production timings and forward defaults): C cut ' +
      'off from A alone (iptables DROP), the control plane and B reach everyone; at A, 100 loops of requests for ' +
      "C's workspace and 8 for B's, for 15 s.\n",
    '| partial partition | value |',
    '|---|---:|',
    `| cut → first 503 at A for C's workspace (any reason) | ${opt(r.firstUnavailableMs)} |`,
    `| cut → first 503 because C did not answer (a deadline passed) | ${opt(r.firstNoAnswerMs)} |`,
    `| cut → first 503 from C's open breaker (no contact) | ${opt(r.firstBreakerMs)} |`,
    `| longest wait of a request for C after the cut | ${ms(r.longestWaitMs)} (${r.unanswered} unanswered) |`,
    `| answers for C after the cut / of them 503 from the in-flight cap | ${r.cutAnswers} / ${r.capped} |`,
    `| B's workspace at A before: p50 / p99 | ${ms(r.healthyBefore.p50)} / ${ms(r.healthyBefore.p99)} (${r.healthyBefore.count} req) |`,
    `| B's workspace at A during: p50 / p99 | ${ms(r.healthyDuring.p50)} / ${ms(r.healthyDuring.p99)} (${r.healthyDuring.count} req, ${r.healthyDuring.errors} not 200) |`,
    `| requests for C in flight at A at peak (client side) | ${r.peakInFlight} |`,
  ].join('\n');
}

/**
 * Args: optional member counts (e.g. `bun run bench mesh 100 1000`), `--seed=N`, `--no-processes` (simulator
 * only), `--processes-only`, `--no-partition` and `--partition-only` (the partial-partition rows, root only).
 */
export default async function meshBench(args: string[]): Promise<void> {
  const seedArg = args.find((a) => a.startsWith('--seed='));
  const seed = seedArg ? Number(seedArg.slice(7)) : 1;
  const only = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const processesOnly = args.includes('--processes-only');
  const partition = !args.includes('--no-processes') && !args.includes('--no-partition');
  const partitionOnly = args.includes('--partition-only');
  const processes = args.includes('--no-processes')
    ? []
    : only.length
      ? only.filter((n) => PROCESS_PLAN.includes(n))
      : PROCESS_PLAN;
  const simOnly = only.filter((n) => !PROCESS_PLAN.includes(n));
  const plan = processesOnly
    ? []
    : only.length
      ? simOnly.map((members) => PLAN.find((p) => p.members === members) ?? { members, falsePositiveMs: 0 })
      : PLAN;
  const c = defaultMeshConfig();
  console.log(
    `Simulator (mesh/sim): real core, MemoryNetwork with 2–20 ms one-way delay, FakeClock, seed ${seed}; ` +
      `defaultMeshConfig (probe ${c.probeIntervalMs} ms, gossip ${c.gossipIntervalMs} ms × ${c.gossipFanout}, ` +
      `push-pull ${c.pushPullIntervalMs / 1000} s scaled with log2 N).`,
  );
  console.log(
    'Rows "(processes)": real `warren control` + N `warren node join` processes on loopback with defaultMeshConfig; ' +
      'change = a revocation published by the control plane, until every node holds it (polled, ±20 ms); ' +
      'bandwidth = gossip + sync payload bytes sent per node over 10 s once every node holds every member entry (or 40 s after all joined); kill -9 of a hosting node → ' +
      'first 503 at another node, and → that node holds it dead.\n' +
      'Simulator rows — bandwidth: gossip + sync payload bytes sent in the 10 s after a registry change. Detection: kill of one member → ' +
      'first member / 99 % of members see it suspect (→ 503 at that node) / all see it dead. False positives: a separate ' +
      'run with 10 % packet loss where nobody dies.\n',
  );
  console.log(
    '| N | change → 99 % | change → 100 % | bytes/member/s | msgs/member/s | kill → first suspect | kill → 99 % suspect | kill → all dead | false positives at 10 % loss | wall |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  if (partitionOnly) {
    const r = await measurePartialPartition((line) => console.error(line));
    if (r) console.log(partitionTable(r));
    return;
  }
  for (const n of processes) {
    console.log(processRow(await measureProcesses(n, (line) => console.error(line))));
  }
  for (const p of plan) {
    const r = await simulate({
      members: p.members,
      seed,
      falsePositiveMs: p.falsePositiveMs,
      falsePositiveLoss: 0.1,
    });
    console.log(row(r));
  }
  const pp =
    partition && only.length === 0 ? await measurePartialPartition((l) => console.error(l)) : undefined;
  if (pp) console.log(partitionTable(pp));
  console.log(
    '\nGoals: 99 % of 100 members < 1.5 s, of 1,000 < 2 s, at ≤ 20 KB/s per member; no false positive at 10 % loss.',
  );
}
