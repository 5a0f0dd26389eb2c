// Git tokens per workspace: served from cache until shortly before expiry, refreshed through a GitTokenSource.

/** A token for one workspace as the control plane minted it. */
export interface GitTokenGrant {
  token: string;
  expiresAt: Date;
}

/**
 * Where fresh tokens come from. The node implements it as `POST /api/v1/workspaces/{id}/git-token`
 * with its node certificate; it throws when the control plane is unreachable or refuses.
 */
export interface GitTokenSource {
  fetch(workspaceId: string): Promise<GitTokenGrant>;
}

export interface GitTokenCacheConfig {
  /** Ask for a new token once less than this is left: 10 min of GitHub's 60, so a refresh has room to fail. */
  refreshBeforeMs: number;
  /** Never hand out a token with less than this left: a clone or push must finish on it. 2 min. */
  minRemainingMs: number;
  /** First wait after a failed fetch; doubles per failure with jitter. 1 s. */
  backoffBaseMs: number;
  /** Longest wait between fetch attempts while failing. 60 s. */
  backoffMaxMs: number;
}

export function defaultGitTokenCacheConfig(): GitTokenCacheConfig {
  return {
    refreshBeforeMs: 10 * 60_000,
    minRemainingMs: 2 * 60_000,
    backoffBaseMs: 1_000,
    backoffMaxMs: 60_000,
  };
}

/** A token to serve, or why there is none (`retryAfterMs` for the 503's Retry-After). */
export type GitTokenLookup =
  | { ok: true; token: string; expiresAt: Date; cached: boolean }
  | { ok: false; retryAfterMs: number; message: string };

interface Entry {
  grant?: GitTokenGrant;
  failures: number;
  nextAttemptAt: number;
  inflight?: Promise<void>;
  /** Bumped by forget(); a fetch started before it does not write back. */
  generation: number;
}

export interface GitTokenCacheOptions {
  source: GitTokenSource;
  config?: GitTokenCacheConfig;
  now?: () => number;
  random?: () => number;
}

export class GitTokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly source: GitTokenSource;
  private readonly config: GitTokenCacheConfig;
  private readonly now: () => number;
  private readonly random: () => number;
  private generations = 0;

  constructor(options: GitTokenCacheOptions) {
    this.source = options.source;
    this.config = options.config ?? defaultGitTokenCacheConfig();
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** The workspace's token: cached while fresh; else fetched; else (source down) the cached one while usable. */
  async get(workspaceId: string): Promise<GitTokenLookup> {
    const entry = this.entry(workspaceId);
    if (this.remaining(entry) > this.config.refreshBeforeMs) return this.serve(entry, true);
    if (this.now() >= entry.nextAttemptAt) {
      entry.inflight ??= this.refresh(workspaceId, entry).finally(() => {
        entry.inflight = undefined;
      });
      await entry.inflight;
    }
    const current = this.entries.get(workspaceId);
    if (current && this.remaining(current) > this.config.minRemainingMs) {
      return this.serve(
        current,
        current.failures > 0 || this.remaining(current) <= this.config.refreshBeforeMs,
      );
    }
    return {
      ok: false,
      retryAfterMs: Math.max(1_000, (current?.nextAttemptAt ?? this.now()) - this.now()),
      message: 'no git token available right now',
    };
  }

  /** Drops the workspace's token (workspace stopped or removed); an in-flight fetch is discarded. */
  forget(workspaceId: string): void {
    this.entries.delete(workspaceId);
  }

  /** git said the token was rejected (`erase`): drop it if it is the one cached, so the next get fetches. */
  invalidate(workspaceId: string, token: string): void {
    const entry = this.entries.get(workspaceId);
    if (entry?.grant && entry.grant.token === token) {
      entry.grant = undefined;
      entry.nextAttemptAt = 0;
    }
  }

  private entry(workspaceId: string): Entry {
    let e = this.entries.get(workspaceId);
    if (!e) {
      e = { failures: 0, nextAttemptAt: 0, generation: ++this.generations };
      this.entries.set(workspaceId, e);
    }
    return e;
  }

  private remaining(e: Entry): number {
    return e.grant ? e.grant.expiresAt.getTime() - this.now() : Number.NEGATIVE_INFINITY;
  }

  private serve(e: Entry, cached: boolean): GitTokenLookup {
    return { ok: true, token: e.grant!.token, expiresAt: e.grant!.expiresAt, cached };
  }

  private async refresh(workspaceId: string, entry: Entry): Promise<void> {
    try {
      const grant = await this.source.fetch(workspaceId);
      if (!grant.token || Number.isNaN(grant.expiresAt.getTime())) throw new Error('malformed git token');
      if (this.entries.get(workspaceId)?.generation !== entry.generation) return;
      entry.grant = { token: grant.token, expiresAt: new Date(grant.expiresAt.getTime()) };
      entry.failures = 0;
      entry.nextAttemptAt = 0;
    } catch {
      entry.failures += 1;
      const cap = Math.min(this.config.backoffMaxMs, this.config.backoffBaseMs * 2 ** (entry.failures - 1));
      // "Equal jitter": half fixed, half random, so nodes that failed together do not retry together.
      entry.nextAttemptAt = this.now() + cap / 2 + (this.random() * cap) / 2;
    }
  }
}
