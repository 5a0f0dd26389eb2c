// The credential epoch: a counter that moves on every write to users, sessions or API tokens, by any replica.
import type { Client } from '@libsql/client';
import { afterWrites } from './after-writes.ts';

/** Read by caches of credential lookups: an entry read at an older epoch may describe a revoked credential. */
export interface CredentialEpoch {
  /** The current epoch; it only grows. */
  current(): number;
  /**
   * `queries` with every method not named in `reads` bumping the epoch when its write settles (also on
   * failure: a failed write may still have landed). Writes are the default, so a new method is safe unnoticed.
   */
  watch<Q extends object>(queries: Q, reads: readonly (keyof Q)[]): Q;
  /**
   * Reads the shared counter, which every replica's writes move: a sign-out or revocation made by another
   * replica on the same database moves this one's epoch at the next call (the control plane calls it every
   * second), so its cache drops the stale lookups.
   */
  follow(): Promise<void>;
}

/** The row of `shared_counters` credential writes move. */
const COUNTER = 'credentials';

export function createCredentialEpoch(client?: Client): CredentialEpoch {
  let local = 0;
  let shared = 0;
  const bumpShared = async () => {
    if (!client) return;
    try {
      await client.execute({
        sql: `INSERT INTO shared_counters (name, value) VALUES (?, 1)
              ON CONFLICT (name) DO UPDATE SET value = shared_counters.value + 1`,
        args: [COUNTER],
      });
    } catch {
      // The cache's TTL still bounds what the other replicas may reuse; the write itself stands.
    }
  };
  return {
    current: () => local + shared,
    watch(queries, reads) {
      return afterWrites(queries, reads, async () => {
        local++;
        await bumpShared();
      });
    },
    async follow() {
      if (!client) return;
      const r = await client.execute({
        sql: 'SELECT value FROM shared_counters WHERE name = ?',
        args: [COUNTER],
      });
      const value = Number(r.rows[0]?.value ?? 0);
      // Only grows: a counter read before our own bump landed must not move the epoch back.
      if (value > shared) shared = value;
    },
  };
}
