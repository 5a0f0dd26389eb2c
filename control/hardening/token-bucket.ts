// Token buckets in memory, one per key (a client address): may this key act now, and if not, when again.
import type { RateLimit } from './hardening-config.ts';

/** The answer of a bucket: go ahead, or wait `retryAfterMs`. */
export type BucketAnswer = { ok: true } | { ok: false; retryAfterMs: number };

export interface TokenBuckets {
  /** Takes one token from `key`'s bucket if it has one. */
  take(key: string, now: number): BucketAnswer;
  /** Whether `key`'s bucket holds a token, without taking it. */
  peek(key: string, now: number): BucketAnswer;
  /** Keys tracked now (for tests of the bound). */
  size(): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets of `limit` for at most `maxKeys` keys; a key never seen has a full bucket. */
export function createTokenBuckets(limit: RateLimit, maxKeys: number): TokenBuckets {
  // Map order is least recently used first: each use re-inserts its key.
  const buckets = new Map<string, Bucket>();
  const perMs = limit.perMinute / 60_000;
  const level = (b: Bucket, now: number) => Math.min(limit.burst, b.tokens + Math.max(0, now - b.at) * perMs);
  const wait = (tokens: number) => Math.ceil((1 - tokens) / perMs);

  const makeRoom = (now: number) => {
    // A full bucket says nothing a missing one would not: drop those first.
    for (const [key, b] of buckets) if (level(b, now) >= limit.burst) buckets.delete(key);
    const oldest = buckets.keys().next();
    if (buckets.size >= maxKeys && !oldest.done) buckets.delete(oldest.value);
  };

  return {
    take(key, now) {
      const b = buckets.get(key);
      const tokens = b ? level(b, now) : limit.burst;
      if (tokens < 1) return { ok: false, retryAfterMs: wait(tokens) };
      if (b) buckets.delete(key);
      else if (buckets.size >= maxKeys) makeRoom(now);
      buckets.set(key, { tokens: tokens - 1, at: now });
      return { ok: true };
    },
    peek(key, now) {
      const b = buckets.get(key);
      const tokens = b ? level(b, now) : limit.burst;
      return tokens < 1 ? { ok: false, retryAfterMs: wait(tokens) } : { ok: true };
    },
    size: () => buckets.size,
  };
}
