// Wraps a query object so that something runs after each of its writes: how caches of reads hear of changes.

/**
 * `queries` with every method not named in `reads` running `after` once it settles (also on failure: a failed
 * write may still have landed). Writes are the default, so a new method is safe unnoticed.
 */
export function afterWrites<Q extends object>(
  queries: Q,
  reads: readonly (keyof Q)[],
  after: () => void | Promise<void>,
): Q {
  const wrapped = { ...queries } as Record<string, unknown>;
  for (const [name, fn] of Object.entries(queries)) {
    if (typeof fn !== 'function' || reads.includes(name as keyof Q)) continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } finally {
        await after();
      }
    };
  }
  return wrapped as Q;
}
