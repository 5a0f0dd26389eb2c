// Issuing user credentials: API tokens, one-time login links and UI sessions (secrets returned once, stored hashed).
import { type ApiScope, newId } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { ApiTokenRow, Store } from '../db/index.ts';
import { hashSecret, newSecret } from '../identity/index.ts';

export interface Credentials {
  apiToken(
    userId: string,
    name: string,
    scopes: ApiScope[],
    ttlSeconds?: number,
  ): Promise<{ row: ApiTokenRow; secret: string }>;
  /** A one-time login URL `{baseUrl}/auth/login?token=wrn_login_…`. */
  loginLink(userId: string, baseUrl: string): Promise<string>;
  /** Exchanges a login link secret for a session; undefined if used, expired or unknown. */
  session(loginSecret: string): Promise<{ secret: string; expiresAt: number } | undefined>;
  /** A new UI session for a user who proved who they are another way (GitHub sign-in). */
  sessionFor(userId: string): Promise<{ secret: string; expiresAt: number }>;
}

export function createCredentials(deps: {
  store: Store;
  clock: Clock;
  loginLinkTtlMs: number;
  sessionTtlMs: number;
}): Credentials {
  const { store, clock } = deps;
  const sessionFor = async (userId: string) => {
    const now = clock.now();
    const secret = newSecret('session');
    const expiresAt = now + deps.sessionTtlMs;
    await store.sessions.insert({
      id: newId('session'),
      tokenHash: hashSecret(secret),
      userId,
      createdAt: now,
      expiresAt,
      revokedAt: null,
    });
    return { secret, expiresAt };
  };
  return {
    async apiToken(userId, name, scopes, ttlSeconds) {
      const secret = newSecret('apiToken');
      const now = clock.now();
      const row: ApiTokenRow = {
        id: newId('apiToken'),
        tokenHash: hashSecret(secret),
        userId,
        name,
        scopes: JSON.stringify(scopes),
        createdAt: now,
        lastUsedAt: null,
        expiresAt: ttlSeconds ? now + ttlSeconds * 1000 : null,
        revokedAt: null,
      };
      await store.apiTokens.insert(row);
      return { row, secret };
    },
    async loginLink(userId, baseUrl) {
      const secret = newSecret('loginLink');
      await store.users.insertLoginLink(hashSecret(secret), userId, clock.now() + deps.loginLinkTtlMs);
      return `${baseUrl.replace(/\/$/, '')}/auth/login?token=${secret}`;
    },
    async session(loginSecret) {
      const userId = await store.users.consumeLoginLink(hashSecret(loginSecret), clock.now());
      if (!userId) return undefined;
      return sessionFor(userId);
    },
    sessionFor,
  };
}
