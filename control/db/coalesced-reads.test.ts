// Lookups that arrive while a read is on the wire go together in the next read; each caller gets its own answer.
import { describe, expect, it } from 'bun:test';
import { coalescedReads } from './coalesced-reads.ts';

/** A readMany whose reads finish when the test says, recording the keys of each. */
function controlledReads(values: Record<string, number>) {
  const reads: string[][] = [];
  const pending: { finish: () => void; fail: (e: Error) => void }[] = [];
  const readMany = (keys: string[]) => {
    reads.push(keys);
    return new Promise<Map<string, number>>((resolve, reject) => {
      pending.push({
        finish: () => resolve(new Map(keys.filter((k) => k in values).map((k) => [k, values[k] as number]))),
        fail: reject,
      });
    });
  };
  const next = async () => {
    while (pending.length === 0) await Bun.sleep(1);
    return pending.shift() as { finish: () => void; fail: (e: Error) => void };
  };
  return { reads, readMany, next };
}

describe('coalescedReads', () => {
  it('sends the first key at once and the keys asked meanwhile together, each caller answered with its own', async () => {
    const r = controlledReads({ a: 1, b: 2, c: 3 });
    const lookUp = coalescedReads(r.readMany);
    const first = lookUp('a');
    expect(r.reads).toEqual([['a']]);
    const later = [lookUp('b'), lookUp('c'), lookUp('b'), lookUp('missing')];
    (await r.next()).finish();
    expect(await first).toBe(1);
    (await r.next()).finish();
    expect(await Promise.all(later)).toEqual([2, 3, 2, undefined]);
    expect(r.reads).toEqual([['a'], ['b', 'c', 'missing']]);
  });

  it('fails only the lookups of a failed read; those queued behind it still get their answers', async () => {
    const r = controlledReads({ a: 1, b: 2 });
    const lookUp = coalescedReads(r.readMany);
    const first = lookUp('a');
    const second = lookUp('b');
    (await r.next()).fail(new Error('the server went away'));
    await expect(first).rejects.toThrow('the server went away');
    (await r.next()).finish();
    expect(await second).toBe(2);
  });

  it('reads at most 100 keys at a time', async () => {
    const values = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`k${i}`, i]));
    const r = controlledReads(values);
    const lookUp = coalescedReads(r.readMany);
    const all = Object.keys(values).map((k) => lookUp(k));
    for (let i = 0; i < 4; i++) (await r.next()).finish();
    expect(await Promise.all(all)).toEqual(Object.values(values));
    expect(r.reads.map((keys) => keys.length)).toEqual([1, 100, 100, 49]);
  });
});
