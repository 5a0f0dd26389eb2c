// A short-lived memory of credential lookups (API token or session row and its user), dropped on any credential write.
import type { Clock } from '../clock.ts';
import type { UserRow } from '../db/index.ts';

export interface CredentialCacheConfig {
  /**
   * How long a lookup is reused at most: 5 s. Writes of this process end it at once (the store's credential
   * epoch); the bound only covers a write made elsewhere, e.g. by hand in the database.
   */
  ttlMs: number;
  /** Entries kept at most: 10,000, far above the live credentials of a home installation; a miss just reads. */
  maxEntries: number;
}

export function defaultCredentialCacheConfig(): CredentialCacheConfig {
  return { ttlMs: 5_000, maxEntries: 10_000 };
}

/** What a lookup found; the caller still checks expiry and revocation on every use. */
export interface CachedCredential<R> {
  row: R;
  user: UserRow;
}

export interface CredentialCache<R> {
  /** The entry for `hash` if read at the current epoch and within the TTL. */
  get(hash: string): CachedCredential<R> | undefined;
  /** Remembers a lookup made at `epoch` (read before the database was). Ignored when the epoch moved since. */
  set(hash: string, epoch: number, value: CachedCredential<R>): void;
}

export function createCredentialCache<R>(
  clock: Clock,
  epoch: () => number,
  config: CredentialCacheConfig = defaultCredentialCacheConfig(),
): CredentialCache<R> {
  const entries = new Map<string, { epoch: number; until: number; value: CachedCredential<R> }>();
  return {
    get(hash) {
      const e = entries.get(hash);
      if (!e) return undefined;
      if (e.epoch !== epoch() || e.until <= clock.now()) {
        entries.delete(hash);
        return undefined;
      }
      return e.value;
    },
    set(hash, at, value) {
      if (at !== epoch()) return;
      if (entries.size >= config.maxEntries) entries.clear();
      entries.set(hash, { epoch: at, until: clock.now() + config.ttlMs, value });
    },
  };
}
