// CircuitBreaker: per host, answers at once for a host that keeps failing, then lets one trial through.

/** The breaker's part of ForwardConfig. */
export interface BreakerConfig {
  breakerFailures: number;
  breakerCooldownMs: number;
  breakerMaxCooldownMs: number;
}

/** Whether a request may go to the host; `trial` marks the one request let through a half-open breaker. */
export type Admission = { ok: true; trial: boolean } | { ok: false; retryAfterMs: number };

interface HostState {
  /** Consecutive failures while closed. */
  failures: number;
  /** Open until then (0: closed). */
  openUntil: number;
  /** The current cool-down; doubles with each failed trial. */
  cooldownMs: number;
  trialInFlight: boolean;
}

/**
 * Closed → open after `breakerFailures` consecutive failures; open → half-open once the cool-down passed, when
 * the next request goes through as the only trial; the trial's success closes it, its failure opens it again
 * for twice as long. A success from any request closes it: the host answered.
 */
export class CircuitBreaker {
  private readonly hosts = new Map<string, HostState>();

  constructor(
    private readonly config: BreakerConfig,
    private readonly now: () => number = Date.now,
  ) {}

  admit(host: string): Admission {
    const s = this.hosts.get(host);
    if (!s || s.openUntil === 0) return { ok: true, trial: false };
    const wait = s.openUntil - this.now();
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    // Half-open: one trial at a time; the others wait for its verdict.
    if (s.trialInFlight) return { ok: false, retryAfterMs: 1_000 };
    s.trialInFlight = true;
    return { ok: true, trial: true };
  }

  succeeded(host: string): void {
    this.hosts.delete(host);
  }

  /** Records a failed forward; returns true when it opened (or re-opened) the breaker. */
  failed(host: string, trial: boolean): boolean {
    let s = this.hosts.get(host);
    if (!s) {
      s = { failures: 0, openUntil: 0, cooldownMs: this.config.breakerCooldownMs, trialInFlight: false };
      this.hosts.set(host, s);
    }
    if (trial) {
      s.trialInFlight = false;
      s.cooldownMs = Math.min(this.config.breakerMaxCooldownMs, s.cooldownMs * 2);
      s.openUntil = this.now() + s.cooldownMs;
      return true;
    }
    // A request that started before the breaker opened adds nothing to an open breaker.
    if (s.openUntil !== 0) return false;
    s.failures++;
    if (s.failures < this.config.breakerFailures) return false;
    s.openUntil = this.now() + s.cooldownMs;
    return true;
  }

  /** A trial ended without a verdict (the client went away): the next request may try. */
  abandoned(host: string, trial: boolean): void {
    const s = this.hosts.get(host);
    if (trial && s) s.trialInFlight = false;
  }

  state(host: string): 'closed' | 'open' | 'half-open' {
    const s = this.hosts.get(host);
    if (!s || s.openUntil === 0) return 'closed';
    return s.openUntil > this.now() ? 'open' : 'half-open';
  }
}
