// `bun run bench mesh`: the mesh simulator at N = 100, 1,000 and 5,000 — convergence, bandwidth, detection, false positives.
import { defaultMeshConfig } from '../../mesh/index.ts';
import { type SimulationReport, simulate } from '../../mesh/testing/index.ts';

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

/** Args: optional member counts (e.g. `bun run bench mesh 100 1000`) and `--seed=N`. */
export default async function meshBench(args: string[]): Promise<void> {
  const seedArg = args.find((a) => a.startsWith('--seed='));
  const seed = seedArg ? Number(seedArg.slice(7)) : 1;
  const only = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const plan = only.length
    ? only.map((members) => PLAN.find((p) => p.members === members) ?? { members, falsePositiveMs: 0 })
    : PLAN;
  const c = defaultMeshConfig();
  console.log(
    `Simulator (mesh/sim): real core, MemoryNetwork with 2–20 ms one-way delay, FakeClock, seed ${seed}; ` +
      `defaultMeshConfig (probe ${c.probeIntervalMs} ms, gossip ${c.gossipIntervalMs} ms × ${c.gossipFanout}, ` +
      `push-pull ${c.pushPullIntervalMs / 1000} s scaled with log2 N).`,
  );
  console.log(
    'Bandwidth: gossip + sync payload bytes sent in the 10 s after a registry change. Detection: kill of one member → ' +
      'first member / 99 % of members see it suspect (→ 503 at that node) / all see it dead. False positives: a separate ' +
      'run with 10 % packet loss where nobody dies.\n',
  );
  console.log(
    '| N | change → 99 % | change → 100 % | bytes/member/s | msgs/member/s | kill → first suspect | kill → 99 % suspect | kill → all dead | false positives at 10 % loss | wall |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const p of plan) {
    const r = await simulate({
      members: p.members,
      seed,
      falsePositiveMs: p.falsePositiveMs,
      falsePositiveLoss: 0.1,
    });
    console.log(row(r));
  }
  console.log(
    '\nGoals: 99 % of 100 members < 1.5 s, of 1,000 < 2 s, at ≤ 20 KB/s per member; no false positive at 10 % loss.',
  );
}
