// A clock tests move by hand, so time-based rules (liveness, rotation, expiry) run without sleeping.
import type { Clock } from '../clock.ts';

export class FakeClock implements Clock {
  constructor(private t = Date.UTC(2030, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
