// Retries a statement the database refused with SQLITE_BUSY, so contention delays a write and never drops it.
import type { Client } from '@libsql/client';

/** True for the error libSQL (file or server) gives when another connection holds the write lock. */
export function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || (e instanceof Error && /database is locked/i.test(e.message));
}

/**
 * `client` whose `execute` and `batch` retry on SQLITE_BUSY for up to `waitMs`, with a growing backoff.
 * Safe because both run outside an interactive transaction: a statement (or a batch, which is one transaction)
 * that failed busy changed nothing. sqld answers busy without waiting for the lock, unlike a file connection
 * with a busy timeout; this makes both wait. Interactive transactions are not retried: their caller decides.
 */
export function retryingOnBusy(client: Client, waitMs: number): Client {
  const retry = async <R>(run: () => Promise<R>): Promise<R> => {
    const deadline = Date.now() + waitMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      try {
        return await run();
      } catch (e) {
        if (!isBusy(e) || Date.now() + delay > deadline) throw e;
        await Bun.sleep(delay * (0.5 + Math.random()));
      }
    }
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'execute')
        return (...args: Parameters<Client['execute']>) => retry(() => target.execute(...args));
      if (prop === 'batch') return (...args: Parameters<Client['batch']>) => retry(() => target.batch(...args));
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
