// The control plane's public keys: refreshed on an unknown `kid` at most once per cooldown, last good set kept.
import { importJWK } from 'jose';
import { type Jwks, type PublicJwk, TOKEN_ALG } from '../../contract/index.ts';

/** Where fresh key sets come from (the control plane's `/.well-known/jwks.json`, later the mesh). */
export type KeySource = () => Promise<Jwks>;

/** Holds the current verification keys by `kid`. */
export class KeySet {
  private keys = new Map<string, { jwk: PublicJwk; key: CryptoKey }>();
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<boolean> | undefined;
  /** Fetches attempted and failed, for /metrics. */
  fetches = 0;
  fetchFailures = 0;

  constructor(
    private readonly source: KeySource,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Replaces the set (from join, heartbeat or a fetch); keys already imported are reused. */
  async replace(jwks: Jwks): Promise<void> {
    const next = new Map<string, { jwk: PublicJwk; key: CryptoKey }>();
    for (const jwk of jwks.keys) {
      const old = this.keys.get(jwk.kid);
      if (old && old.jwk.x === jwk.x) {
        next.set(jwk.kid, old);
        continue;
      }
      const key = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, TOKEN_ALG)) as CryptoKey;
      next.set(jwk.kid, { jwk, key });
    }
    this.keys = next;
  }

  /** The verification key for `kid`, if known. */
  get(kid: string): CryptoKey | undefined {
    return this.keys.get(kid)?.key;
  }

  /** The current set, for persisting. */
  current(): Jwks {
    return { keys: [...this.keys.values()].map((k) => k.jwk) };
  }

  /**
   * Fetches the key set again unless one was fetched within the cooldown (so a flood of tokens with made-up
   * `kid`s costs the control plane at most one request per cooldown). Resolves true when the set changed.
   * A failed fetch keeps the last good set.
   */
  refresh(): Promise<boolean> {
    if (this.inflight) return this.inflight;
    const t = this.now();
    if (t - this.lastFetchAt < this.cooldownMs) return Promise.resolve(false);
    this.lastFetchAt = t;
    this.fetches++;
    this.inflight = (async () => {
      try {
        const before = JSON.stringify(this.current());
        await this.replace(await this.source());
        return JSON.stringify(this.current()) !== before;
      } catch {
        this.fetchFailures++;
        return false;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
