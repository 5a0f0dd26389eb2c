// A partial partition with real processes in network namespaces: C cut off from A alone while the control plane
// and B reach everyone. How soon A answers 503 for C's workspace, and what it costs requests to B's meanwhile.
// Used by `bun run bench mesh` next to the simulator rows; needs root and `ip netns`.
import { type LoadReport, netnsAvailable, type Sample, startNetnsMesh } from '../../tests/index.ts';

/** One row of the partial-partition table. */
export interface PartitionReport {
  /** Cut → the first 503 at A for C's workspace (answer time, not start time), whatever its reason. */
  firstUnavailableMs: number | null;
  /** Cut → the first 503 because C did not answer (a deadline passed), and → the first from an open breaker. */
  firstNoAnswerMs: number | null;
  firstBreakerMs: number | null;
  /** The longest a request for C's workspace waited for its answer after the cut. */
  longestWaitMs: number;
  /** Answers for C's workspace after the cut: 503 because too many waited (the cap), and in all. */
  capped: number;
  cutAnswers: number;
  /** Requests for C's workspace that got no answer within the load's own 60 s limit. */
  unanswered: number;
  /** Latency to B's workspace at A before the cut and during it. */
  healthyBefore: Latency;
  healthyDuring: Latency;
  /** Forwards to C in flight at A (at most the per-host cap) while the healthy row was measured, at peak. */
  peakInFlight: number;
}

export interface Latency {
  p50: number;
  p99: number;
  count: number;
  errors: number;
}

/** The plan: `connections` loops to B and `cutConcurrency` loops to C, each `durationMs`. */
const CUT_CONCURRENCY = 100;
const HEALTHY_CONNECTIONS = 8;
const DURATION_MS = 15_000;

function latency(samples: Sample[]): Latency {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0;
  return {
    p50: at(0.5),
    p99: at(0.99),
    count: ms.length,
    errors: samples.filter((s) => s.status !== 200).length,
  };
}

/** Starts control + A, B, C in namespaces with production timings, cuts A↔C under load, measures, stops. */
export async function measurePartialPartition(
  log: (s: string) => void,
): Promise<PartitionReport | undefined> {
  if (!netnsAvailable()) {
    log('  partial partition: skipped — needs root and `ip netns`');
    return undefined;
  }
  const m = await startNetnsMesh({
    prefix: `wb${process.pid % 100_000}`,
    subnet: `10.201.${process.pid % 250}`,
    env: { WARREN_MESH_PROFILE: 'default' },
  });
  try {
    const onB = await m.createWorkspace('bench-b', m.nodes.b.nodeId);
    const onC = await m.createWorkspace('bench-c', m.nodes.c.nodeId);
    const url = (id: string) => `http://127.0.0.1:7420/w/${id}/`;
    const healthy = { url: url(onB.id), token: onB.token, connections: HEALTHY_CONNECTIONS };
    const cut = { url: url(onC.id), token: onC.token };
    // Warm: both routed at A, pooled connections to B and C open.
    // Before the cut, the same load (C answering): the baseline of the healthy host's latency.
    const before = await m.loadAt('a', {
      cut: { ...cut, concurrency: CUT_CONCURRENCY, durationMs: 5_000 },
      healthy: { ...healthy, durationMs: 5_000 },
      timeoutMs: 60_000,
    });
    log(
      `  partial partition: warm-up done (${before.cut.filter((s) => s.status === 200).length} requests to C)`,
    );
    const running = m.loadAt('a', {
      cut: { ...cut, concurrency: CUT_CONCURRENCY, durationMs: DURATION_MS },
      healthy: { ...healthy, durationMs: DURATION_MS },
      timeoutMs: 60_000,
    });
    // The load process takes a moment to start; requests sent before the cut simply answer 200.
    await Bun.sleep(500); // pacing: lets the load reach full concurrency before the cut, not a wait for a condition
    const cutAt = Date.now();
    m.net.iptables('c', '-A', 'INPUT', '-s', m.net.ip('a'), '-j', 'DROP');
    m.net.iptables('c', '-A', 'OUTPUT', '-d', m.net.ip('a'), '-j', 'DROP');
    let report: LoadReport;
    try {
      report = await running;
    } finally {
      m.net.iptables('c', '-F');
    }
    const after = report.cut.filter((s) => s.at + s.ms >= cutAt);
    const first = (match: (why: string) => boolean) => {
      const t = after.filter((s) => s.status === 503 && match(s.why ?? '')).map((s) => s.at + s.ms - cutAt);
      return t.length ? Math.min(...t) : null;
    };
    const during = report.healthy.filter((s) => s.at >= cutAt);
    return {
      firstUnavailableMs: first(() => true),
      firstNoAnswerMs: first((why) => why.includes('does not answer')),
      firstBreakerMs: first((why) => why.includes('recently')),
      longestWaitMs: Math.max(0, ...after.map((s) => s.ms)),
      capped: after.filter((s) => s.why?.includes('too many')).length,
      cutAnswers: after.length,
      unanswered: after.filter((s) => s.status === 0).length,
      healthyBefore: latency(before.healthy),
      healthyDuring: latency(during),
      peakInFlight: Math.max(0, ...during.map((s) => s.inFlight)),
    };
  } finally {
    await m.stop();
  }
}
