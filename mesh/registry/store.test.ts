// RegistryStore and diff: versions per origin, contiguous watermarks, digests, tombstones and their collection.
import { describe, expect, it } from 'bun:test';
import type { RegistryEntry } from '../../contract/index.ts';
import { diff, originsAhead } from './digest.ts';
import { RegistryStore } from './store.ts';

const e = (origin: string, key: string, version: number, deleted = false): RegistryEntry => ({
  origin,
  key,
  kind: 'workspace',
  version,
  value: deleted ? null : { v: version },
  deleted,
  sig: 'x',
});

describe('RegistryStore', () => {
  it('keeps the highest version per key and ignores older or equal ones', () => {
    const s = new RegistryStore();
    expect(s.offer(e('a', 'k', 2), 10, 0)).toBe('applied');
    expect(s.offer(e('a', 'k', 1), 10, 0)).toBe('stale');
    expect(s.offer(e('a', 'k', 2), 10, 0)).toBe('stale');
    expect(s.get('a', 'k')?.entry.version).toBe(2);
  });

  it('advances the digest only over contiguous versions, so a lost update is asked for again', () => {
    const s = new RegistryStore();
    s.offer(e('a', 'k1', 1), 10, 0);
    s.offer(e('a', 'k3', 3), 10, 0);
    expect(s.digest()).toEqual({ a: 1 });
    s.offer(e('a', 'k2', 2), 10, 0);
    expect(s.digest()).toEqual({ a: 3 });
  });

  it('raises a watermark from a peer only up to a version it actually holds', () => {
    const s = new RegistryStore();
    s.offer(e('a', 'k5', 5), 10, 0);
    s.cover('a', 1_000_000);
    expect(s.digest()).toEqual({ a: 5 });
  });
});

describe('Digest and diff', () => {
  it('lists the origins where one side is ahead', () => {
    expect(originsAhead({ a: 3, b: 1, c: 2 }, { a: 3, b: 0 })).toEqual(['b', 'c']);
  });

  it('sends exactly the entries the peer lacks, oldest first, and marks complete origins covered', () => {
    const s = new RegistryStore();
    for (let v = 1; v <= 4; v++) s.offer(e('a', `k${v}`, v), 10, 0);
    s.offer(e('b', 'k', 1), 10, 0);
    const d = diff(s, { a: 2 }, 1_000_000);
    expect(d.entries.map((x) => `${x.origin}${x.version}`)).toEqual(['a3', 'a4', 'b1']);
    expect(d.covered).toEqual({ a: 4, b: 1 });
    expect(diff(s, { a: 4, b: 1 }, 1_000_000).entries).toEqual([]);
  });

  it('stops at the byte budget and leaves the truncated origin uncovered', () => {
    const s = new RegistryStore();
    for (let v = 1; v <= 10; v++) s.offer(e('a', `k${v}`, v), 100, 0);
    const d = diff(s, {}, 350);
    expect(d.entries.length).toBe(3);
    expect(d.covered).toEqual({});
  });

  it('converges two stores by exchanging diffs both ways', () => {
    const x = new RegistryStore();
    const y = new RegistryStore();
    x.offer(e('a', 'k', 1), 10, 0);
    x.offer(e('a', 'k', 2), 10, 0);
    y.offer(e('b', 'j', 1), 10, 0);
    for (const [from, to] of [
      [x, y],
      [y, x],
    ] as const) {
      const d = diff(from, to.digest(), 1_000_000);
      for (const entry of d.entries) to.offer(entry, 10, 0);
      for (const o in d.covered) to.cover(o, d.covered[o] ?? 0);
    }
    expect(x.digest()).toEqual(y.digest());
    expect([...x.all()].map((s) => s.entry)).toEqual(
      expect.arrayContaining([...y.all()].map((s) => s.entry)),
    );
  });
});

describe('Tombstones', () => {
  it('replace the entry and travel in diffs like any write', () => {
    const s = new RegistryStore();
    s.offer(e('a', 'k', 1), 10, 0);
    s.offer(e('a', 'k', 2, true), 10, 0);
    expect(s.get('a', 'k')?.entry.deleted).toBe(true);
    expect(diff(s, { a: 1 }, 1000).entries.map((x) => x.deleted)).toEqual([true]);
  });

  it('are collected once old enough and acknowledged by every live member, not before', () => {
    const s = new RegistryStore();
    s.offer(e('a', 'k', 1), 10, 0);
    s.offer(e('a', 'k', 2, true), 10, 1000);
    let acked = false;
    const ack = () => acked;
    expect(s.collectTombstones(2000, 5000, 60_000, ack)).toBe(0);
    expect(s.collectTombstones(7000, 5000, 60_000, ack)).toBe(0);
    acked = true;
    expect(s.collectTombstones(7000, 5000, 60_000, ack)).toBe(1);
    expect(s.get('a', 'k')).toBeUndefined();
  });

  it('are collected after the maximum age even without acknowledgement', () => {
    const s = new RegistryStore();
    s.offer(e('a', 'k', 1, true), 10, 0);
    expect(s.collectTombstones(60_000, 5000, 60_000, () => false)).toBe(1);
  });

  it('once collected, still keep a late copy of the deleted entry from coming back', () => {
    const s = new RegistryStore();
    s.offer(e('a', 'k', 1), 10, 0);
    s.offer(e('a', 'k', 2, true), 10, 0);
    s.collectTombstones(100_000, 5000, 60_000, () => true);
    expect(s.offer(e('a', 'k', 1), 10, 100_001)).toBe('stale');
    expect(s.offer(e('a', 'k', 3), 10, 100_001)).toBe('applied');
  });
});
