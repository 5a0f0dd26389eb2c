// FakeClock: a Clock whose time moves only when a test or the simulator advances it.
import type { Clock, Timer } from '../clock.ts';

interface Scheduled {
  at: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/** Deterministic time: timers fire in (time, scheduling order) when `advance` or `run` passes them. */
export class FakeClock implements Clock {
  private time: number;
  private order = 0;
  private heap: Scheduled[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const s: Scheduled = { at: this.time + Math.max(0, delayMs), order: this.order++, fn, cancelled: false };
    this.push(s);
    return {
      cancel: () => {
        s.cancelled = true;
      },
    };
  }

  /** Pending (not cancelled) timers, for tests that check nothing is left behind. */
  get pending(): number {
    return this.heap.filter((s) => !s.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way (synchronously). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > end) break;
      this.pop();
      if (top.cancelled) continue;
      this.time = Math.max(this.time, top.at);
      top.fn();
    }
    this.time = end;
  }

  /**
   * Advances `ms` in steps of `stepMs`, letting promise continuations (request/response, async trust
   * checks) run between steps, as they would between real timer callbacks.
   */
  async run(ms: number, stepMs = 10): Promise<void> {
    const end = this.time + ms;
    while (this.time < end) {
      this.advance(Math.min(stepMs, end - this.time));
      await flushMicrotasks();
    }
  }

  /** Runs until `predicate` holds or `maxMs` of fake time has passed; returns whether it held. */
  async until(predicate: () => boolean, maxMs: number, stepMs = 10): Promise<boolean> {
    const end = this.time + maxMs;
    await flushMicrotasks();
    while (!predicate()) {
      if (this.time >= end) return false;
      this.advance(Math.min(stepMs, end - this.time));
      await flushMicrotasks();
    }
    return true;
  }

  private less(a: Scheduled, b: Scheduled): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(s: Scheduled): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i] as Scheduled, h[p] as Scheduled)) break;
      [h[i], h[p]] = [h[p] as Scheduled, h[i] as Scheduled];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l] as Scheduled, h[m] as Scheduled)) m = l;
      if (r < h.length && this.less(h[r] as Scheduled, h[m] as Scheduled)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as Scheduled, h[i] as Scheduled];
      i = m;
    }
  }
}

/** Lets every queued promise continuation run (a macrotask boundary drains the microtask queue). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
