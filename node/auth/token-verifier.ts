// Verifies workspace access tokens locally (jose, pinned EdDSA) and caches verified ones by token until `exp`.
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import * as v from 'valibot';
import {
  TOKEN_ALG,
  TOKEN_TYP,
  WORKSPACE_SCOPES,
  WORKSPACE_TOKEN_TTL,
  WorkspaceAccessClaims,
  type WorkspaceScope,
} from '../../contract/index.ts';
import type { KeySet } from './key-set.ts';
import type { Revocations } from './revocations.ts';

/** A token whose signature, issuer, type and lifetime checked out. */
export interface VerifiedToken {
  userId: string;
  /** The workspace id from `aud: workspace:<id>`. */
  workspaceId: string;
  scopes: readonly WorkspaceScope[];
  ports: readonly number[] | undefined;
  iat: number;
  /** Expiry in ms since the epoch. */
  expMs: number;
}

/** Why a token was refused. All of these are a 401 on the wire. */
export type TokenFailure =
  | 'malformed'
  | 'wrong_algorithm'
  | 'wrong_type'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'invalid_claims'
  | 'lifetime_too_long'
  | 'revoked';

/** A refused token, with a stable code for metrics and the error body. */
export class TokenError extends Error {
  constructor(readonly code: TokenFailure) {
    super(`token refused: ${code.replaceAll('_', ' ')}`);
  }
}

/** Access decision for one request. */
export type Access =
  | { ok: true; token: VerifiedToken }
  | { ok: false; status: 401 | 403 | 404; code: 'unauthorized' | 'forbidden' | 'not_found'; reason: string };

export interface TokenVerifierOptions {
  keys: KeySet;
  revocations: Revocations;
  /** Expected `iss`; read lazily because a node learns it when it joins. */
  issuer: () => string | undefined;
  cacheSize: number;
  clockToleranceSec: number;
  now?: () => number;
}

const MAX_TOKEN_LENGTH = 8192;

/** Checks workspace tokens; the cache makes a repeat request cost one Map lookup. */
export class TokenVerifier {
  private cache = new Map<string, VerifiedToken>();
  private inflight = new Map<string, Promise<VerifiedToken>>();
  private readonly now: () => number;
  /** Counters for /metrics. */
  readonly stats = { cached: 0, verified: 0, refused: new Map<string, number>() };

  constructor(private readonly o: TokenVerifierOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The cached verification of `token`, if it is still within its lifetime. */
  lookup(token: string): VerifiedToken | undefined {
    const hit = this.cache.get(token);
    if (hit === undefined) return undefined;
    if (this.now() >= hit.expMs + this.o.clockToleranceSec * 1000) {
      this.cache.delete(token);
      return undefined;
    }
    this.stats.cached++;
    return hit;
  }

  /** Verifies `token` (from the cache when possible); rejects with TokenError. */
  verify(token: string): Promise<VerifiedToken> {
    const hit = this.lookup(token);
    if (hit) return Promise.resolve(hit);
    let p = this.inflight.get(token);
    if (!p) {
      p = this.verifyUncached(token).finally(() => this.inflight.delete(token));
      this.inflight.set(token, p);
    }
    return p;
  }

  /** Full verification without the cache (the benchmark's "uncached" figure); caches the result. */
  async verifyUncached(token: string): Promise<VerifiedToken> {
    const t = await this.check(token);
    if (this.cache.size >= this.o.cacheSize) this.evict();
    this.cache.set(token, t);
    this.stats.verified++;
    return t;
  }

  /**
   * Decides whether `token` grants `scope` on `workspaceId` owned by `ownerId`. A token for another
   * workspace, or another user's, is a 404 (it must not reveal that the workspace exists); a missing
   * scope is a 403; a revoked token is a 401.
   */
  authorize(
    token: VerifiedToken,
    workspaceId: string,
    ownerId: string | undefined,
    scope: WorkspaceScope,
  ): Access {
    if (token.workspaceId !== workspaceId) return refuse(404, 'not_found', 'wrong_workspace');
    if (this.o.revocations.isRevoked(token.userId, workspaceId, token.iat)) {
      return refuse(401, 'unauthorized', 'revoked');
    }
    if (ownerId !== undefined && token.userId !== ownerId) return refuse(404, 'not_found', 'other_user');
    if (!token.scopes.includes(scope)) return refuse(403, 'forbidden', 'missing_scope');
    return { ok: true, token };
  }

  /**
   * Why a token that was accepted earlier no longer is: past `exp` (with the same tolerance as `lookup`) or
   * revoked since. Undefined while it still holds. Open sockets are checked with this.
   */
  lapsed(token: VerifiedToken): 'expired' | 'revoked' | undefined {
    if (this.now() >= token.expMs + this.o.clockToleranceSec * 1000) return 'expired';
    if (this.o.revocations.isRevoked(token.userId, token.workspaceId, token.iat)) return 'revoked';
    return undefined;
  }

  /** Counts a refusal reason for /metrics. */
  countRefusal(reason: string): void {
    this.stats.refused.set(reason, (this.stats.refused.get(reason) ?? 0) + 1);
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  private async check(token: string): Promise<VerifiedToken> {
    if (token.length > MAX_TOKEN_LENGTH) throw new TokenError('malformed');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenError('malformed');
    }
    if (header.alg !== TOKEN_ALG) throw new TokenError('wrong_algorithm');
    if (header.typ !== TOKEN_TYP.workspaceAccess) throw new TokenError('wrong_type');
    if (typeof header.kid !== 'string') throw new TokenError('unknown_key');
    let key = this.o.keys.get(header.kid);
    if (!key) {
      await this.o.keys.refresh();
      key = this.o.keys.get(header.kid);
      if (!key) throw new TokenError('unknown_key');
    }
    const issuer = this.o.issuer();
    if (!issuer) throw new TokenError('wrong_issuer');
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [TOKEN_ALG],
        issuer,
        typ: TOKEN_TYP.workspaceAccess,
        clockTolerance: this.o.clockToleranceSec,
        currentDate: new Date(this.now()),
        requiredClaims: ['iat', 'exp', 'jti', 'sub', 'aud'],
      }));
    } catch (e) {
      throw new TokenError(joseFailure(e));
    }
    const r = v.safeParse(WorkspaceAccessClaims, payload);
    if (!r.success) {
      throw new TokenError(
        typeof (payload as { aud?: unknown }).aud === 'string' ? 'invalid_claims' : 'wrong_audience',
      );
    }
    const c = r.output;
    if (c.iat > this.now() / 1000 + this.o.clockToleranceSec) throw new TokenError('not_yet_valid');
    // The control plane never issues a workspace token for longer: one that claims more was not minted by it
    // as asked (a leaked signing key, a bug), and would outlive every revocation-free window we reason about.
    if (c.exp - c.iat > WORKSPACE_TOKEN_TTL.max) throw new TokenError('lifetime_too_long');
    const scopes: WorkspaceScope[] = [];
    for (const s of c.scope.split(' ')) {
      if ((WORKSPACE_SCOPES as readonly string[]).includes(s) && !scopes.includes(s as WorkspaceScope))
        scopes.push(s as WorkspaceScope);
    }
    return {
      userId: c.sub,
      workspaceId: c.aud.slice('workspace:'.length),
      scopes,
      ports: c.ports,
      iat: c.iat,
      expMs: c.exp * 1000,
    };
  }

  private evict(): void {
    const t = this.now();
    for (const [k, e] of this.cache) if (e.expMs <= t) this.cache.delete(k);
    // Still full: drop the oldest tenth (Map iterates in insertion order).
    if (this.cache.size >= this.o.cacheSize) {
      let n = Math.max(1, Math.floor(this.o.cacheSize / 10));
      for (const k of this.cache.keys()) {
        this.cache.delete(k);
        if (--n <= 0) break;
      }
    }
  }
}

function refuse(
  status: 401 | 403 | 404,
  code: 'unauthorized' | 'forbidden' | 'not_found',
  reason: string,
): Access {
  return { ok: false, status, code, reason };
}

function joseFailure(e: unknown): TokenFailure {
  if (e instanceof joseErrors.JWTExpired) return 'expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf' || e.claim === 'iat') return 'not_yet_valid';
    if (e.claim === 'iss') return 'wrong_issuer';
    if (e.claim === 'typ') return 'wrong_type';
    return 'invalid_claims';
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'wrong_algorithm';
  return 'malformed';
}
