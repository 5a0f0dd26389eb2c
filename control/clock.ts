// The clock the control plane reads time from; tests inject a fake one (control/testing).

/** Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };
