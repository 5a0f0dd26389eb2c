// Closers: newest first, each once, and one failing closer does not keep the others from running.
import { describe, expect, it } from 'bun:test';
import { Closers } from './closers.ts';

describe('Closers', () => {
  it('runs every closer once, newest first, even when one fails, and logs the failure', async () => {
    const ran: string[] = [];
    const lines: string[] = [];
    const closers = new Closers((l) => lines.push(l));
    closers.add('a', () => ran.push('a'));
    closers.add('b', async () => {
      ran.push('b');
      throw new Error('boom');
    });
    closers.add('c', async () => {
      await Bun.sleep(1);
      ran.push('c');
    });
    await Promise.all([closers.drain(), closers.drain()]);
    await closers.drain();
    expect(ran).toEqual(['c', 'b', 'a']);
    expect(lines).toEqual(['closing b failed: boom']);
    expect(closers.size).toBe(0);
  });
});
