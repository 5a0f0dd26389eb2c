// The heartbeat loop: on an interval with jitter, at once when poked, with jittered exponential backoff on failure.
import type { HeartbeatConfig } from './config.ts';

/** Runs `beat` forever; `beat` resolves to the next interval in ms, or rejects to back off. */
export class HeartbeatLoop {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private again = false;
  private stopped = true;
  private failures = 0;
  private inFlight: Promise<void> | undefined;
  /** Successful and failed beats, for /metrics. */
  ok = 0;
  failed = 0;
  lastOkAt: number | undefined;

  constructor(
    private readonly beat: () => Promise<number>,
    private readonly config: HeartbeatConfig,
    private readonly onError: (e: unknown, retryInMs: number) => void = () => {},
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops beating; resolves once a beat already in flight has been answered (or failed). */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.inFlight ?? Promise.resolve();
  }

  /** Heartbeat as soon as possible (a workspace changed status); coalesces bursts into one beat. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // While backing off, a poke must not defeat the backoff.
    if (this.failures > 0) return;
    this.schedule(10);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), ms);
  }

  private run(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.running) return Promise.resolve();
    this.running = true;
    const beat = this.beatOnce().finally(() => {
      if (this.inFlight === beat) this.inFlight = undefined;
    });
    this.inFlight = beat;
    return beat;
  }

  private async beatOnce(): Promise<void> {
    this.again = false;
    let next: number;
    try {
      const interval = await this.beat();
      this.failures = 0;
      this.ok++;
      this.lastOkAt = Date.now();
      const j = this.config.jitter;
      next = this.again ? 10 : interval * (1 - j + 2 * j * this.random());
    } catch (e) {
      this.failures++;
      this.failed++;
      next = this.backoff();
      this.onError(e, Math.round(next));
    } finally {
      this.running = false;
    }
    if (!this.stopped) this.schedule(next);
  }

  /** Exponential backoff with jitter: uniform in [½·d, d] where d doubles per failure up to the max. */
  private backoff(): number {
    const d = Math.min(this.config.backoffMaxMs, this.config.backoffBaseMs * 2 ** (this.failures - 1));
    return d / 2 + (d / 2) * this.random();
  }
}
