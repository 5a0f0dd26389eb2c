// OriginTrust: which keys may sign an origin's entries — node keys only through a control-signed certificate.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import * as v from 'valibot';
import {
  AUDIENCE,
  CONTROL_ORIGIN,
  type Jwks,
  NodeCertificateClaims,
  TOKEN_ALG,
  TOKEN_TYP,
} from '../../contract/index.ts';

/** Keys that may sign an origin's entries, or why there are none. */
export type KeyResult = { ok: true; keys: KeyObject[] } | { ok: false; reason: 'untrusted-origin' };

/** Decides whose signatures count; injected so the simulator can use a static key table. */
export interface OriginTrust {
  /**
   * Keys for `origin`'s entries. `certificate` is the node certificate carried by the origin's member entry
   * (the one being applied, or the one held); the control origin needs none. May answer synchronously.
   */
  keyFor(origin: string, certificate: string | undefined): KeyResult | Promise<KeyResult>;
  /** A verified keyset entry from the control origin: the control plane's keys rotated. */
  updateControlKeys?(jwks: Jwks): void;
}

/** Options of the certificate-based trust used by real nodes. */
export interface CertificateTrustOptions {
  /** The control plane's JWKS as received at join; later rotations arrive as keyset entries. */
  controlJwks: Jwks;
  /** Expected `iss` of node certificates. */
  issuer?: string;
  /** Current time in ms, so tests with a FakeClock check expiry in fake time. */
  now?: () => number;
  /** Leeway for clock skew between nodes, seconds. */
  clockToleranceSec?: number;
}

interface CachedKey {
  result: KeyResult;
  /** Certificate expiry, ms. */
  expiresAt: number;
}

const MAX_CACHED = 4096;

/** Trust rooted in the control plane: its JWKS for `control` entries, node certificates for node origins. */
export class CertificateTrust implements OriginTrust {
  private jwks: Jwks;
  private controlKeys: KeyObject[];
  private readonly cache = new Map<string, Promise<CachedKey>>();
  private readonly now: () => number;
  private inflight = 0;

  constructor(private readonly options: CertificateTrustOptions) {
    this.jwks = options.controlJwks;
    this.controlKeys = toKeys(options.controlJwks);
    this.now = options.now ?? Date.now;
  }

  keyFor(origin: string, certificate: string | undefined): KeyResult | Promise<KeyResult> {
    if (origin === CONTROL_ORIGIN) {
      return this.controlKeys.length > 0
        ? { ok: true, keys: this.controlKeys }
        : { ok: false, reason: 'untrusted-origin' };
    }
    if (!certificate) return { ok: false, reason: 'untrusted-origin' };
    const cacheKey = `${origin}\n${certificate}`;
    let cached = this.cache.get(cacheKey);
    if (!cached) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.inflight++;
      cached = this.verify(origin, certificate).finally(() => {
        this.inflight--;
      });
      this.cache.set(cacheKey, cached);
    }
    return cached.then((c) =>
      c.expiresAt > this.now() ? c.result : { ok: false, reason: 'untrusted-origin' },
    );
  }

  /** Certificate checks still running (they are async); fake-clock tests wait for none before time moves. */
  get pending(): number {
    return this.inflight;
  }

  updateControlKeys(jwks: Jwks): void {
    this.jwks = jwks;
    this.controlKeys = toKeys(jwks);
    // Certificates are re-checked against the new key set (a removed key no longer vouches for anyone).
    this.cache.clear();
  }

  private async verify(origin: string, certificate: string): Promise<CachedKey> {
    const denied: CachedKey = {
      result: { ok: false, reason: 'untrusted-origin' },
      expiresAt: Number.POSITIVE_INFINITY,
    };
    try {
      const { payload } = await jwtVerify(certificate, createLocalJWKSet(this.jwks), {
        algorithms: [TOKEN_ALG],
        typ: TOKEN_TYP.nodeCertificate,
        audience: AUDIENCE.mesh,
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        currentDate: new Date(this.now()),
        clockTolerance: this.options.clockToleranceSec ?? 60,
      });
      const claims = v.safeParse(NodeCertificateClaims, payload);
      if (!claims.success || claims.output.sub !== origin) return denied;
      const key = createPublicKey({ key: claims.output.cnf.jwk, format: 'jwk' });
      return { result: { ok: true, keys: [key] }, expiresAt: claims.output.exp * 1000 };
    } catch {
      return denied;
    }
  }
}

function toKeys(jwks: Jwks): KeyObject[] {
  const out: KeyObject[] = [];
  for (const k of jwks.keys) {
    try {
      out.push(createPublicKey({ key: { kty: k.kty, crv: k.crv, x: k.x }, format: 'jwk' }));
    } catch {
      // A malformed key vouches for nothing.
    }
  }
  return out;
}
