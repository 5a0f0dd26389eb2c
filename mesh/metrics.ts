// Counters of one mesh node, kept as a plain object the node agent renders to /metrics.

/** Why an incoming message was dropped whole. */
export const MESSAGE_DROP_REASONS = [
  'malformed',
  'unknown-version',
  'oversized',
  'unexpected',
  /** An alive or left claim not signed by the member it is about. */
  'forged-claim',
] as const;
export type MessageDropReason = (typeof MESSAGE_DROP_REASONS)[number];

/** Why an incoming registry entry was dropped (never applied, never re-gossiped). */
export const ENTRY_DROP_REASONS = [
  'malformed',
  'oversized',
  'invalid-value',
  'wrong-key',
  'wrong-origin',
  'forbidden-kind',
  'untrusted-origin',
  'bad-signature',
] as const;
export type EntryDropReason = (typeof ENTRY_DROP_REASONS)[number];

/** Every counter of a mesh node; monotonic except `members*`. */
export interface MeshMetrics {
  packetsIn: number;
  packetsOut: number;
  /** Payload bytes of best-effort packets (probes and gossip). */
  gossipBytesIn: number;
  gossipBytesOut: number;
  /** Payload bytes of reliable request/response traffic (push-pull sync). */
  syncBytesIn: number;
  syncBytesOut: number;
  syncs: number;
  syncFailures: number;
  probes: number;
  probeFailures: number;
  suspicions: number;
  deaths: number;
  refutations: number;
  /** Failed contacts callers reported (e.g. a forward that got no answer) that started a probe. */
  contactFailures: number;
  entriesApplied: number;
  tombstonesCollected: number;
  /** Two origins claim the same workspace; routing keeps the incumbent. */
  conflictingClaims: number;
  droppedMessages: Record<MessageDropReason, number>;
  droppedEntries: Record<EntryDropReason, number>;
}

/** A zeroed counter set. */
export function createMeshMetrics(): MeshMetrics {
  return {
    packetsIn: 0,
    packetsOut: 0,
    gossipBytesIn: 0,
    gossipBytesOut: 0,
    syncBytesIn: 0,
    syncBytesOut: 0,
    syncs: 0,
    syncFailures: 0,
    probes: 0,
    probeFailures: 0,
    suspicions: 0,
    deaths: 0,
    refutations: 0,
    contactFailures: 0,
    entriesApplied: 0,
    tombstonesCollected: 0,
    conflictingClaims: 0,
    droppedMessages: Object.fromEntries(MESSAGE_DROP_REASONS.map((r) => [r, 0])) as Record<
      MessageDropReason,
      number
    >,
    droppedEntries: Object.fromEntries(ENTRY_DROP_REASONS.map((r) => [r, 0])) as Record<
      EntryDropReason,
      number
    >,
  };
}

/** Total of a drop-reason record. */
export function totalDrops(counts: Record<string, number>): number {
  let n = 0;
  for (const k in counts) n += counts[k] ?? 0;
  return n;
}
