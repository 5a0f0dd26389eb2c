// The simulator: the real mesh core on a MemoryNetwork with a FakeClock, deterministic from a seed, at 1,000+ members.
import { defaultMeshConfig, type MeshConfig } from '../config.ts';
import type { MeshNode } from '../node.ts';
import { cluster, type TestCluster } from '../testing/cluster.ts';
import { flushMicrotasks } from '../testing/fake-clock.ts';

/** What to simulate. */
export interface SimulationOptions {
  members: number;
  seed?: number;
  /** One-way delay range in ms (default 2–20 ms, a LAN or nearby tailnet). */
  delayMs?: [number, number];
  config?: MeshConfig;
  /** Quiet time after start before measuring (ms of simulated time). */
  warmupMs?: number;
  /** Give up waiting for convergence or detection after this long (ms). */
  timeoutMs?: number;
  /** Length of the false-positive run at `falsePositiveLoss` (0 skips it). */
  falsePositiveMs?: number;
  falsePositiveLoss?: number;
}

/** Measured figures; times are ms of simulated time, null when the event did not happen in time. */
export interface SimulationReport {
  members: number;
  seed: number;
  convergence: { p99Ms: number | null; p100Ms: number | null };
  /** Over the 10 s after a registry change, gossip and sync payload bytes sent. */
  bytesPerMemberPerSec: number;
  messagesPerMemberPerSec: number;
  /** From kill to the first member, and to 99 % of members, seeing the victim suspect (→ 503), and to all seeing it dead. */
  detection: { firstMs: number | null; p99Ms: number | null; allDeadMs: number | null };
  falsePositives: { durationMs: number; loss: number; deaths: number; suspicions: number } | null;
  /** Real time the simulation took. */
  wallMs: number;
}

const percentile = (sorted: number[], n: number, p: number): number | null => {
  const need = Math.ceil(n * p);
  return sorted.length >= need && need > 0 ? (sorted[need - 1] as number) : null;
};

async function runUntil(
  c: TestCluster,
  predicate: () => boolean,
  maxMs: number,
  stepMs = 10,
): Promise<boolean> {
  return c.clock.until(predicate, maxMs, stepMs);
}

function totals(nodes: MeshNode[]) {
  let bytes = 0;
  let messages = 0;
  for (const n of nodes) {
    bytes += n.metrics.gossipBytesOut + n.metrics.syncBytesOut;
    messages += n.metrics.packetsOut;
  }
  return { bytes, messages };
}

/** Runs convergence, bandwidth and detection on one cluster, then false positives under loss on another. */
export async function simulate(o: SimulationOptions): Promise<SimulationReport> {
  const started = performance.now();
  const seed = o.seed ?? 1;
  const config = o.config ?? defaultMeshConfig();
  const timeoutMs = o.timeoutMs ?? 60_000;
  const c = await cluster({
    size: o.members,
    seed,
    delayMs: o.delayMs ?? [2, 20],
    config,
    trust: 'static',
    bootstrap: 'full',
  });
  await c.run(o.warmupMs ?? 5000);

  // 1. A registry change: one member publishes a workspace; when does each member hold it?
  const origin = c.nodes[0] as MeshNode;
  const workspaceId = `ws${'0'.repeat(19)}1`;
  const key = `workspace/${workspaceId}`;
  const t0 = c.clock.now();
  const arrivals: number[] = [];
  const unsubs = c.live().map((n) =>
    n.subscribe((e) => {
      if (e.type === 'entry' && e.entry.key === key && e.entry.origin === origin.id)
        arrivals.push(c.clock.now() - t0);
    }),
  );
  const before = totals(c.live());
  origin.publish('workspace', { workspaceId, nodeId: origin.id, status: 'running', ports: [3000] });
  await runUntil(c, () => arrivals.length >= o.members, timeoutMs);
  for (const u of unsubs) u();
  const spent = c.clock.now() - t0;
  if (spent < 10_000) await c.run(10_000 - spent);
  const after = totals(c.live());
  const window = (c.clock.now() - t0) / 1000;
  arrivals.sort((a, b) => a - b);

  // 2. kill -9 of one member: when do the others notice?
  const victimIndex = Math.max(1, Math.floor(o.members / 2));
  const victim = (c.nodes[victimIndex] as MeshNode).id;
  await c.kill(victimIndex);
  const t1 = c.clock.now();
  const noticed: number[] = [];
  const seen = new Set<string>();
  const unsubs2 = c.live().map((n) =>
    n.subscribe((e) => {
      if (e.type === 'member' && e.member.id === victim && e.member.state !== 'alive' && !seen.has(n.id)) {
        seen.add(n.id);
        noticed.push(c.clock.now() - t1);
      }
    }),
  );
  const others = o.members - 1;
  await runUntil(c, () => noticed.length >= others, timeoutMs, 20);
  const allDead = await runUntil(
    c,
    () => c.live().every((n) => n.member(victim)?.state === 'dead'),
    Math.max(0, timeoutMs * 2 - (c.clock.now() - t1)),
    50,
  );
  const allDeadMs = allDead ? c.clock.now() - t1 : null;
  for (const u of unsubs2) u();
  noticed.sort((a, b) => a - b);
  await c.close();
  await flushMicrotasks();

  // 3. False positives: nobody dies, packets are lost; every death or suspicion is false.
  let falsePositives: SimulationReport['falsePositives'] = null;
  if ((o.falsePositiveMs ?? 0) > 0) {
    const loss = o.falsePositiveLoss ?? 0.1;
    const f = await cluster({
      size: o.members,
      seed: seed + 1,
      loss,
      delayMs: o.delayMs ?? [2, 20],
      config,
      trust: 'static',
      bootstrap: 'full',
    });
    await f.run(o.falsePositiveMs ?? 0);
    let deaths = 0;
    let suspicions = 0;
    for (const n of f.live()) {
      deaths += n.metrics.deaths;
      suspicions += n.metrics.suspicions;
    }
    await f.close();
    falsePositives = { durationMs: o.falsePositiveMs ?? 0, loss, deaths, suspicions };
  }

  return {
    members: o.members,
    seed,
    convergence: { p99Ms: percentile(arrivals, o.members, 0.99), p100Ms: percentile(arrivals, o.members, 1) },
    bytesPerMemberPerSec: (after.bytes - before.bytes) / o.members / window,
    messagesPerMemberPerSec: (after.messages - before.messages) / o.members / window,
    detection: {
      firstMs: noticed[0] ?? null,
      p99Ms: percentile(noticed, others, 0.99),
      allDeadMs,
    },
    falsePositives,
    wallMs: performance.now() - started,
  };
}
