// Who is calling: users by API token (Bearer) or session cookie, nodes by their certificate. Each proof only where meant.
import { type ApiScope, AUDIENCE, type NodeCertificateClaims, type Role } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { ApiTokenRow, SessionRow, Store, UserRow } from '../db/index.ts';
import { forbidden, unauthorized } from '../errors.ts';
import { hashSecret, type KeyRing, looksLike, sameDigest, verifyToken } from '../identity/index.ts';
import { type CredentialCacheConfig, createCredentialCache } from './credential-cache.ts';
import { createNodeProofCheck, type NodeProofConfig, type SharedProofClaim } from './node-proof.ts';

/** Name of the httpOnly session cookie of the UI. */
export const SESSION_COOKIE = 'warren_session';

export interface UserPrincipal {
  user: UserRow;
  role: Role;
  scopes: ApiScope[];
  via: 'api_token' | 'session';
}

export interface Authenticator {
  /** The user behind the request, holding `scope` (admin ops also need the admin role); else throws 401/403. */
  user(request: Request, scope: ApiScope): Promise<UserPrincipal>;
  /**
   * The node whose certificate is the Bearer token, proven by a fresh proof for this request signed with the
   * certificate's key (a copied certificate alone is refused); its `sub` must be `nodeId` when given. Else 401.
   * A route with a JSON body must parse it with `keepBodyBytes`, so the proof is checked on the bytes received.
   */
  node(request: Request, nodeId?: string): Promise<NodeCertificateClaims>;
  /** True when the request carries a bearer token that is not an opaque user secret (so: a JWT). */
  hasJwtBearer(request: Request): boolean;
}

function bearer(request: Request): string | undefined {
  const h = request.headers.get('authorization');
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

function cookie(request: Request, name: string): string | undefined {
  const h = request.headers.get('cookie');
  if (!h) return undefined;
  for (const part of h.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

const ALL_SCOPES: ApiScope[] = ['read', 'write', 'admin'];

export function createAuthenticator(deps: {
  store: Store;
  ring: KeyRing;
  clock: Clock;
  issuer: () => string;
  nodeProof?: NodeProofConfig;
  /** Proofs used by every replica on the database; without it only this process's memory refuses a replay. */
  sharedProofUses?: SharedProofClaim;
  credentialCache?: CredentialCacheConfig;
}): Authenticator {
  const { store, clock } = deps;
  const checkNodeProof = createNodeProofCheck(clock, deps.nodeProof, deps.sharedProofUses);
  // Every request of a user reads its credential and user; any credential write of this process drops them.
  const apiTokenCache = createCredentialCache<ApiTokenRow>(
    clock,
    store.credentialEpoch,
    deps.credentialCache,
  );
  const sessionCache = createCredentialCache<SessionRow>(clock, store.credentialEpoch, deps.credentialCache);

  /** A user awaiting approval holds no usable credential, whatever it presents. */
  const activeUser = async (id: string) => {
    const user = await store.users.get(id);
    if (!user) throw unauthorized();
    if (user.disabledAt !== null) throw unauthorized('this account is disabled; ask an admin');
    if (user.status !== 'active') throw forbidden('your account is awaiting approval by an admin');
    return user;
  };

  const fromApiToken = async (secret: string): Promise<UserPrincipal> => {
    if (!looksLike('apiToken', secret)) throw unauthorized('this kind of token is not accepted here');
    const hash = hashSecret(secret);
    let found = apiTokenCache.get(hash);
    if (!found) {
      const epoch = store.credentialEpoch();
      const row = await store.apiTokens.findByHash(hash);
      if (!row || !sameDigest(row.tokenHash, hash)) throw unauthorized();
      if (row.revokedAt !== null) throw unauthorized('token revoked');
      found = { row, user: await activeUser(row.userId) };
      apiTokenCache.set(hash, epoch, found);
    }
    const { row, user } = found;
    const now = clock.now();
    if (row.expiresAt !== null && row.expiresAt <= now) throw unauthorized('token expired');
    // Recording use is best effort; it must not fail the request.
    if (row.lastUsedAt === null || now - row.lastUsedAt > 60_000) {
      row.lastUsedAt = now;
      await store.apiTokens.touch(row.id, now);
    }
    return { user, role: user.role, scopes: JSON.parse(row.scopes) as ApiScope[], via: 'api_token' };
  };

  const fromSession = async (secret: string): Promise<UserPrincipal> => {
    if (!looksLike('session', secret)) throw unauthorized();
    const hash = hashSecret(secret);
    let found = sessionCache.get(hash);
    if (!found) {
      const epoch = store.credentialEpoch();
      const row = await store.sessions.findByHash(hash);
      if (!row || !sameDigest(row.tokenHash, hash) || row.revokedAt !== null)
        throw unauthorized('session expired or revoked');
      found = { row, user: await activeUser(row.userId) };
      sessionCache.set(hash, epoch, found);
    }
    if (found.row.expiresAt <= clock.now()) throw unauthorized('session expired or revoked');
    const { user } = found;
    return { user, role: user.role, scopes: ALL_SCOPES, via: 'session' };
  };

  return {
    async user(request, scope) {
      const token = bearer(request);
      const session = token ? undefined : cookie(request, SESSION_COOKIE);
      if (!token && !session) throw unauthorized();
      const p = token ? await fromApiToken(token) : await fromSession(session ?? '');
      const granted = p.scopes.includes(scope) || (scope === 'read' && p.scopes.includes('write'));
      if (!granted && !p.scopes.includes('admin')) throw forbidden(`this token lacks the ${scope} scope`);
      if (scope === 'admin' && p.role !== 'admin') throw forbidden('admin role required');
      return p;
    },
    hasJwtBearer(request) {
      const token = bearer(request);
      return token !== undefined && !token.startsWith('wrn_');
    },
    async node(request, nodeId) {
      const token = bearer(request);
      if (!token) throw unauthorized('node certificate required');
      const r = await verifyToken('nodeCertificate', token, {
        jwks: deps.ring.jwks(),
        issuer: deps.issuer(),
        audience: AUDIENCE.control,
        now: clock.now(),
      });
      if (!r.ok) throw unauthorized(`node certificate rejected: ${r.reason}`);
      if (nodeId !== undefined && r.claims.sub !== nodeId)
        throw unauthorized('node certificate is for another node');
      await checkNodeProof(request, r.claims);
      const node = await store.nodes.get(r.claims.sub);
      if (!node) throw unauthorized('unknown node');
      if (node.publicKey !== JSON.stringify(r.claims.cnf.jwk)) throw unauthorized('node key does not match');
      const revoked = (await store.revocations.list()).find((x) => x.subject === `node:${r.claims.sub}`);
      if (revoked && r.claims.iat < revoked.notBefore) throw unauthorized('node certificate revoked');
      return r.claims;
    },
  };
}
