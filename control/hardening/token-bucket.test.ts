import { describe, expect, it } from 'bun:test';
import { createTokenBuckets } from './token-bucket.ts';

describe('TokenBuckets', () => {
  it('allows a burst, then refuses with the time until the next token', () => {
    const b = createTokenBuckets({ burst: 3, perMinute: 6 }, 100);
    for (let i = 0; i < 3; i++) expect(b.take('a', 0)).toEqual({ ok: true });
    expect(b.take('a', 0)).toEqual({ ok: false, retryAfterMs: 10_000 });
    expect(b.take('b', 0)).toEqual({ ok: true });
  });

  it('refills at its rate up to the burst, and a refused take costs nothing', () => {
    const b = createTokenBuckets({ burst: 2, perMinute: 60 }, 100);
    b.take('a', 0);
    b.take('a', 0);
    expect(b.take('a', 500)).toEqual({ ok: false, retryAfterMs: 500 });
    expect(b.take('a', 1_000)).toEqual({ ok: true });
    expect(b.peek('a', 1_000).ok).toBe(false);
    expect(b.peek('a', 3_600_000).ok).toBe(true);
    b.take('a', 3_600_000);
    b.take('a', 3_600_000);
    expect(b.take('a', 3_600_000).ok).toBe(false);
  });

  it('peeks without taking', () => {
    const b = createTokenBuckets({ burst: 1, perMinute: 1 }, 100);
    expect(b.peek('a', 0)).toEqual({ ok: true });
    expect(b.peek('a', 0)).toEqual({ ok: true });
    expect(b.size()).toBe(0);
    b.take('a', 0);
    expect(b.peek('a', 0)).toEqual({ ok: false, retryAfterMs: 60_000 });
  });

  it('keeps at most maxKeys buckets, dropping full ones first and then the least recently used', () => {
    const b = createTokenBuckets({ burst: 2, perMinute: 1 }, 2);
    b.take('a', 0);
    b.take('b', 0);
    const later = 120_000; // a and b are full again
    b.take('c', later);
    expect(b.size()).toBe(1);
    b.take('c', later);
    b.take('d', later);
    b.take('e', later); // nothing full: c, the least recently used, goes
    expect(b.size()).toBe(2);
    expect(b.peek('c', later).ok).toBe(true);
    expect(b.peek('d', later).ok).toBe(true);
    b.take('e', later);
    expect(b.peek('e', later).ok).toBe(false);
  });
});
