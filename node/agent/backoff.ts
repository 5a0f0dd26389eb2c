// Jittered exponential backoff for agent restarts: no two agents retry in lockstep.

export interface BackoffConfig {
  /** 200 ms: a crash right after start is often a transient (a file not yet there). */
  initialMs: number;
  /** 30 s: a broken agent command costs at most one spawn per 30 s. */
  maxMs: number;
  /** 2: doubles per consecutive failure. */
  factor: number;
}

export function defaultBackoffConfig(): BackoffConfig {
  return { initialMs: 200, maxMs: 30_000, factor: 2 };
}

/**
 * Delay before attempt number `attempt` (0 for the first retry): half the exponential step plus a
 * random half ("equal jitter"), so the delay still grows but retries spread out.
 */
export function backoffDelay(config: BackoffConfig, attempt: number, random = Math.random): number {
  const step = Math.min(config.maxMs, config.initialMs * config.factor ** Math.max(0, attempt));
  return Math.round(step / 2 + random() * (step / 2));
}
