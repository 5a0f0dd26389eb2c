// Tests of the wake detector with hand-moved clocks: suspend is told apart from a busy event loop.
import { describe, expect, it } from 'bun:test';
import { createWakeDetector } from './index.ts';

function clocks() {
  const c = { wallT: 1_000_000, monoT: 50, wall: () => c.wallT, monotonic: () => c.monoT };
  return c;
}

describe('WakeDetector', () => {
  it('reports a sleep when the wall clock ran on and the monotonic clock did not', () => {
    const c = clocks();
    const woke: number[] = [];
    const d = createWakeDetector(c, (ms) => woke.push(ms), { intervalMs: 5_000, minSleepMs: 15_000 });
    c.wallT += 5_000;
    c.monoT += 5_000;
    d.check();
    expect(woke).toEqual([]);
    c.wallT += 8 * 3_600_000 + 5_000; // a night with the lid closed
    c.monoT += 5_000;
    d.check();
    expect(woke).toEqual([8 * 3_600_000]);
    c.wallT += 5_000;
    c.monoT += 5_000;
    d.check();
    expect(woke).toHaveLength(1);
  });

  it('does not mistake a stalled event loop or a clock set back for a sleep', () => {
    const c = clocks();
    const woke: number[] = [];
    const d = createWakeDetector(c, (ms) => woke.push(ms), { intervalMs: 5_000, minSleepMs: 15_000 });
    c.wallT += 60_000; // both clocks moved: the process was busy, not asleep
    c.monoT += 60_000;
    d.check();
    c.wallT -= 3_600_000; // NTP or a person set the clock back
    c.monoT += 5_000;
    d.check();
    c.wallT += 14_000 + 5_000; // just under the threshold
    c.monoT += 5_000;
    d.check();
    expect(woke).toEqual([]);
  });
});
