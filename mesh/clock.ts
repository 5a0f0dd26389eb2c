// The injected time source: the core takes time as input, the shell schedules its next tick through a Clock.

/** A scheduled callback that can be cancelled. */
export interface Timer {
  cancel(): void;
}

/** Milliseconds and timers; the system clock in production, FakeClock in tests and the simulator. */
export interface Clock {
  /** Milliseconds since an arbitrary, monotonic-enough epoch (Date.now() for the system clock). */
  now(): number;
  /** Calls `fn` once after `delayMs`. */
  setTimer(delayMs: number, fn: () => void): Timer;
}

/** Wall-clock time and real timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(t) };
  },
};
