// MeshConfig: every timing and size knob of membership and registry gossip, with the reason for each default.

/** Tunables of one mesh node. All durations in milliseconds. */
export interface MeshConfig {
  /** How often a member probes one other member. */
  probeIntervalMs: number;
  /** How long to wait for a direct ack before asking k others to probe indirectly. */
  probeTimeoutMs: number;
  /** k: members asked to probe indirectly when a direct probe times out. */
  indirectChecks: number;
  /** Suspicion lasts at least suspicionMult · log10(N) · probeInterval. */
  suspicionMult: number;
  /** Without confirmations suspicion lasts up to this multiple of the minimum (Lifeguard). */
  suspicionMaxTimeoutMult: number;
  /** Lifeguard local health: probe interval and timeout stretch up to (1 + this) when we look unhealthy. */
  awarenessMax: number;
  /** How often queued updates are pushed to `gossipFanout` random members. */
  gossipIntervalMs: number;
  gossipFanout: number;
  /** Each update is sent retransmitMult · ceil(log10(N + 1)) times before it leaves the queue. */
  retransmitMult: number;
  /** Largest best-effort packet we build; larger entries travel by push-pull only. */
  maxPacketBytes: number;
  /** Push-pull anti-entropy with one random member; scaled up with log2(N) above 32 members. */
  pushPullIntervalMs: number;
  /** Deadline of a push-pull request. */
  syncTimeoutMs: number;
  /** Upper bound of the entries one sync reply carries; the rest follows next round. */
  maxSyncBytes: number;
  /** A tombstone is collected once every live member has acknowledged it and it is this old… */
  tombstoneMinAgeMs: number;
  /** …or, whatever peers reported, once it is this old (bounds memory). */
  tombstoneMaxAgeMs: number;
  /** How long a dead or left member is remembered, so replays of its old alive messages cannot revive it. */
  deadMemberRetentionMs: number;
}

/** Production defaults for a LAN or tailnet of up to a few thousand members. */
export function defaultMeshConfig(): MeshConfig {
  return {
    // memberlist's LAN value: one probe per second keeps probe traffic at ~2 packets/s per member
    // while a dead member is first probed within ~1.6 s on average.
    probeIntervalMs: 1000,
    // Half the interval: a tailnet RTT is well under 100 ms, and the other half is left for indirect probes.
    probeTimeoutMs: 500,
    // memberlist's value: three independent paths make a false failure from one lossy link unlikely
    // (at 10 % loss per packet all four paths fail together with probability < 1e-3).
    indirectChecks: 3,
    // memberlist's value: 4·log10(N)·1 s is 4 s at N = 10 and 12 s at N = 1,000, long enough for the
    // suspected member to hear of it by gossip and refute, even after a GC pause or brief SIGSTOP.
    suspicionMult: 4,
    // Lifeguard: a lone suspicion waits up to 6× the minimum; independent confirmations shorten it.
    suspicionMaxTimeoutMult: 6,
    // Lifeguard's value: a member that misses its own acks slows down up to 9× instead of accusing others.
    awarenessMax: 8,
    // memberlist's value: 5 gossip rounds per second spread an update through 1,000 members in ~1 s.
    gossipIntervalMs: 200,
    // memberlist's value: fanout 3 grows the infected set ~4× per round; more only adds duplicates.
    gossipFanout: 3,
    // memberlist's value: 4·ceil(log10(N+1)) transmissions reach everyone with high probability.
    retransmitMult: 4,
    // Fits one Ethernet frame and Tailscale's 1280-byte MTU with WireGuard overhead; no IP fragmentation.
    maxPacketBytes: 1200,
    // memberlist's value: full-state sync every 30 s repairs lost gossip; scaled with N to bound bandwidth.
    pushPullIntervalMs: 30_000,
    // memberlist's TCP timeout: long enough for a 1 MB state over a slow link.
    syncTimeoutMs: 10_000,
    // A few thousand entries per round keeps one sync under ~50 ms of work on either side.
    maxSyncBytes: 2 * 1024 * 1024,
    // Several push-pull rounds, so members that lost the delete as gossip get it as a delta.
    tombstoneMinAgeMs: 10 * 60_000,
    // A day: a member away longer than that restarts with fresh state anyway (the registry is in memory).
    tombstoneMaxAgeMs: 24 * 60 * 60_000,
    // An hour: longer than any retransmission of an old alive message can circulate.
    deadMemberRetentionMs: 60 * 60_000,
  };
}

/** Fast timings for tests on loopback and in memory: same ratios, ten times quicker. */
export function localMeshConfig(): MeshConfig {
  return {
    ...defaultMeshConfig(),
    // 10× faster than production so tests observe detection in well under a second of (fake) time.
    probeIntervalMs: 100,
    // Loopback and MemoryNetwork RTTs are well under 10 ms.
    probeTimeoutMs: 50,
    // Same ratio as production: 20 ms rounds.
    gossipIntervalMs: 20,
    // Frequent anti-entropy makes partition-heal tests converge in a few simulated seconds.
    pushPullIntervalMs: 1000,
    // Loopback: a sync never takes long.
    syncTimeoutMs: 1000,
    // Short so tombstone collection is observable in a test.
    tombstoneMinAgeMs: 5000,
    tombstoneMaxAgeMs: 60_000,
    deadMemberRetentionMs: 60_000,
  };
}

/** Suspicion lasts at least suspicionMult · max(1, log10(n)) · probeInterval. */
export function suspicionMinMs(config: MeshConfig, n: number): number {
  return config.suspicionMult * Math.max(1, Math.log10(Math.max(1, n))) * config.probeIntervalMs;
}

/** How many times an update is retransmitted in a cluster of n members. */
export function retransmitLimit(config: MeshConfig, n: number): number {
  return config.retransmitMult * Math.ceil(Math.log10(n + 1));
}

/** Push-pull interval scaled like memberlist: ×(1 + ceil(log2(n) − log2(32))) above 32 members. */
export function pushPullIntervalMs(config: MeshConfig, n: number): number {
  if (n <= 32) return config.pushPullIntervalMs;
  return config.pushPullIntervalMs * (1 + Math.ceil(Math.log2(n) - Math.log2(32)));
}
