// The replay cache of node proofs: an id is refused while its proof could still pass, and the cache stays bounded.
import { describe, expect, it } from 'bun:test';
import { createReplayCache } from './proof-replay.ts';

describe('ReplayCache', () => {
  it('refuses an id it holds, every time, until the id expires', () => {
    const cache = createReplayCache(10);
    expect(cache.claim('a', 2_000, 1_000)).toBe('fresh');
    for (let i = 0; i < 3; i++) expect(cache.claim('a', 2_000, 1_500)).toBe('replayed');
    // Once expired, the proof itself is stale; the id may come round again.
    expect(cache.claim('a', 4_000, 2_000)).toBe('fresh');
  });

  it('drops expired ids to make room and refuses new ones while full of live ones', () => {
    const cache = createReplayCache(2);
    expect(cache.claim('a', 2_000, 0)).toBe('fresh');
    expect(cache.claim('b', 5_000, 0)).toBe('fresh');
    // Full of live ids: forgetting one early would let its proof be replayed, so the new one waits.
    expect(cache.claim('c', 5_000, 1_000)).toBe('full');
    expect(cache.claim('a', 2_000, 1_000)).toBe('replayed');
    // `a` has expired: room again.
    expect(cache.claim('c', 5_000, 2_000)).toBe('fresh');
    expect(cache.size).toBe(2);
    expect(cache.claim('b', 5_000, 2_000)).toBe('replayed');
  });

  it('finds expired ids behind a live one when full', () => {
    const cache = createReplayCache(2);
    expect(cache.claim('late', 9_000, 0)).toBe('fresh');
    expect(cache.claim('early', 1_000, 0)).toBe('fresh');
    expect(cache.claim('next', 9_000, 1_000)).toBe('fresh');
    expect(cache.size).toBe(2);
  });
});
