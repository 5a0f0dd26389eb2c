// Scrollback: the bounded output a reattaching terminal replays.
import { describe, expect, it } from 'bun:test';
import { Scrollback } from './scrollback.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('Scrollback', () => {
  it('replays everything while under its limit, in order', () => {
    const s = new Scrollback(1024);
    for (const part of ['$ ls\r\n', 'a b c\r\n', '$ ']) s.append(bytes(part));
    expect(text(s.snapshot())).toBe('$ ls\r\na b c\r\n$ ');
    expect(s.size).toBe(15);
  });

  it('never keeps more than its limit, and drops the oldest output first at a line start', () => {
    const s = new Scrollback(100);
    for (let i = 0; i < 1000; i++) s.append(bytes(`line ${i}\r\n`));
    const kept = text(s.snapshot());
    expect(s.size).toBeLessThanOrEqual(100);
    expect(kept.length).toBe(s.size);
    expect(kept.endsWith('line 999\r\n')).toBe(true);
    // Cut after a newline: the replay starts with a whole line.
    expect(kept).toMatch(/^line \d+\r\n/);
  });

  it('keeps the tail of a single write larger than the limit', () => {
    const s = new Scrollback(10);
    s.append(bytes('x'.repeat(50)));
    expect(text(s.snapshot())).toBe('x'.repeat(10));
  });

  it('keeps its own copy of what it was given', () => {
    const s = new Scrollback(64);
    const buf = bytes('hello');
    s.append(buf);
    buf.fill(0);
    expect(text(s.snapshot())).toBe('hello');
  });
});
