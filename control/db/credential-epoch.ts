// The credential epoch: a counter that moves on every write to users, sessions or API tokens of this process.

/** Read by caches of credential lookups: an entry read at an older epoch may describe a revoked credential. */
export interface CredentialEpoch {
  /** The current epoch; it only grows. */
  current(): number;
  /**
   * `queries` with every method not named in `reads` bumping the epoch when its write settles (also on
   * failure: a failed write may still have landed). Writes are the default, so a new method is safe unnoticed.
   */
  watch<Q extends object>(queries: Q, reads: readonly (keyof Q)[]): Q;
}

export function createCredentialEpoch(): CredentialEpoch {
  let epoch = 0;
  return {
    current: () => epoch,
    watch(queries, reads) {
      const wrapped = { ...queries } as Record<string, unknown>;
      for (const [name, fn] of Object.entries(queries)) {
        if (typeof fn !== 'function' || reads.includes(name as keyof typeof queries)) continue;
        wrapped[name] = async (...args: unknown[]) => {
          try {
            return await fn(...args);
          } finally {
            epoch++;
          }
        };
      }
      return wrapped as typeof queries;
    },
  };
}
