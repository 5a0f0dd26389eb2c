// The node proofs already used: a bounded in-memory set of `jti`s, each kept until its proof would be stale anyway.

/** What recording a proof's `jti` found. */
export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

export interface ReplayCache {
  /** Records `jti` until `expiresAt` (ms): `replayed` when it is held already, `full` when there is no room. */
  claim(jti: string, expiresAt: number, now: number): ReplayVerdict;
  readonly size: number;
}

/**
 * Creates a cache of at most `capacity` ids. Entries leave when they expire; when it is full of live ones, new
 * proofs are refused (`full`) rather than an old id forgotten early, which would let its proof be replayed.
 */
export function createReplayCache(capacity: number): ReplayCache {
  // Insertion order is nearly expiry order (expiry is iat + window); sweepAll handles the stragglers.
  const seen = new Map<string, number>();
  const sweepFront = (now: number) => {
    for (const [jti, expiresAt] of seen) {
      if (expiresAt > now) return;
      seen.delete(jti);
    }
  };
  const sweepAll = (now: number) => {
    for (const [jti, expiresAt] of seen) if (expiresAt <= now) seen.delete(jti);
  };
  return {
    claim(jti, expiresAt, now) {
      const held = seen.get(jti);
      if (held !== undefined && held > now) return 'replayed';
      sweepFront(now);
      if (seen.size >= capacity) sweepAll(now);
      if (seen.size >= capacity) return 'full';
      seen.delete(jti);
      seen.set(jti, expiresAt);
      return 'fresh';
    },
    get size() {
      return seen.size;
    },
  };
}
