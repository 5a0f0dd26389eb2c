// Tests of the progress channel: callbacks become an ordered async iterable that ends or fails.
import { describe, expect, it } from 'bun:test';
import { createProgressChannel } from './index.ts';

describe('ProgressChannel', () => {
  it('yields events sent before and while the consumer reads, in order, then ends', async () => {
    const ch = createProgressChannel<number>();
    ch.listener(1);
    ch.listener(2);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const e of ch.events) seen.push(e);
    })();
    await Promise.resolve();
    ch.listener(3);
    await Promise.resolve();
    ch.listener(4);
    ch.close();
    ch.listener(5); // after close: dropped
    await reading;
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('delivers what was sent, then throws the failure', async () => {
    const ch = createProgressChannel<string>();
    ch.listener('machine:started');
    ch.fail(new Error('hcloud said no'));
    const seen: string[] = [];
    const reading = (async () => {
      for await (const e of ch.events) seen.push(e);
    })();
    await expect(reading).rejects.toThrow('hcloud said no');
    expect(seen).toEqual(['machine:started']);
  });
});
