// Signing keys: creation, sealed storage, rotation (publish before sign, keep until expired) and the JWKS.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { newId, type PublicJwk } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { SigningKeyRow, Store, WriteGuard } from '../db/index.ts';
import { seal, unseal } from './master-key.ts';

export interface KeyRingConfig {
  /** How long a new key is published before it signs: 2 min, several heartbeats, so every node has it. */
  publishLeadMs: number;
  /** A key older than this is rotated by the schedule: 30 days. */
  rotationIntervalMs: number;
  /** The longest life of any token the ring signs (node certificates): a retired key stays this long. */
  maxTokenLifetimeMs: number;
}

export function defaultKeyRingConfig(): KeyRingConfig {
  return {
    publishLeadMs: 2 * 60_000, // > heartbeat interval × a few, so every node fetched the new JWKS first
    rotationIntervalMs: 30 * 86_400_000, // monthly keeps exposure of one key bounded without churn
    maxTokenLifetimeMs: 12 * 3_600_000, // equals the node certificate life (the longest token)
  };
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** The same key for node:crypto, which signs Ed25519 several times faster than WebCrypto through jose. */
  keyObject: KeyObject;
}

export interface Rotation {
  kid: string;
  publishedAt: number;
  activatesAt: number;
}

/**
 * The key ring of one control plane process. It caches the keys; with several replicas on one database only
 * the lease holder rotates on schedule, and the others pick new keys up with `refresh()` (well within the
 * publish lead, so every replica publishes a key before any signs with it).
 */
export interface KeyRing {
  /** The key that signs now: the newest key whose activation time has passed. */
  signingKey(): Promise<SigningKey>;
  /** The same key as a node:crypto KeyObject, for signing the control plane's mesh entries. */
  meshSigningKey(): Promise<{ kid: string; key: KeyObject }>;
  /** Every key that is published now: active, pending and retired-but-unexpired. */
  jwks(): { keys: PublicJwk[] };
  /**
   * Publishes a new key that starts signing after the publish lead; the current key retires then. When another
   * replica rotated at the same moment, the key it published is the rotation (never two new keys).
   */
  rotate(): Promise<Rotation>;
  /**
   * Rotates if the signing key is older than the rotation interval; drops expired keys. With `guard` (the lease
   * holder's fence) the rotation is written only while the guard holds, so a holder that lost its lease while
   * paused cannot rotate a second time after the new holder did.
   */
  tick(guard?: WriteGuard): Promise<Rotation | undefined>;
  /** Reads the keys again from the database (keys another replica rotated). */
  refresh(): Promise<void>;
}

async function generate(masterKey: CryptoKey, now: number, activatesAt: number): Promise<SigningKeyRow> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const kid = newId('key');
  const pub = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey;
  const jwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: pub.x ?? '', kid, alg: 'EdDSA', use: 'sig' };
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  return {
    kid,
    publicJwk: JSON.stringify(jwk),
    sealedPrivateKey: await seal(masterKey, pkcs8, kid),
    createdAt: now,
    activatesAt,
    retiredAt: null,
    expiresAt: null,
  };
}

/** Loads the ring from the store, creating the first key (active at once) when there is none. */
export async function createKeyRing(
  store: Store,
  masterKey: CryptoKey,
  clock: Clock,
  config: KeyRingConfig = defaultKeyRingConfig(),
): Promise<KeyRing> {
  let rows = await store.signingKeys.list();
  const privateKeys = new Map<string, { privateKey: CryptoKey; keyObject: KeyObject }>();

  const reload = async () => {
    rows = await store.signingKeys.list();
  };
  const published = () => rows.filter((r) => r.expiresAt === null || r.expiresAt > clock.now());
  const active = () => {
    const now = clock.now();
    let best: SigningKeyRow | undefined;
    for (const r of rows) if (r.activatesAt <= now && (!best || r.activatesAt >= best.activatesAt)) best = r;
    return best;
  };
  const privateKey = async (row: SigningKeyRow) => {
    let key = privateKeys.get(row.kid);
    if (!key) {
      const pkcs8 = await unseal(masterKey, row.sealedPrivateKey, row.kid);
      key = {
        privateKey: await crypto.subtle.importKey(
          'pkcs8',
          pkcs8 as BufferSource,
          { name: 'Ed25519' },
          false,
          ['sign'],
        ),
        keyObject: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }),
      };
      privateKeys.set(row.kid, key);
    }
    return key;
  };

  /** One conditional rotation from the keys as last read; undefined when the database changed meanwhile. */
  const rotateOnce = async (guard?: WriteGuard): Promise<Rotation | undefined> => {
    const now = clock.now();
    const activatesAt = now + config.publishLeadMs;
    const row = await generate(masterKey, now, activatesAt);
    // The newest key not yet retired hands over signing when the new one activates.
    const newest = rows.filter((r) => r.retiredAt === null).at(-1);
    let written: boolean;
    if (newest)
      written = await store.signingKeys.rotate(
        row,
        newest.kid,
        { retiredAt: activatesAt, expiresAt: activatesAt + config.maxTokenLifetimeMs },
        guard,
      );
    else written = await store.signingKeys.insertFirst(row);
    await reload();
    return written ? { kid: row.kid, publishedAt: now, activatesAt } : undefined;
  };

  const rotate = async (): Promise<Rotation> => {
    await reload();
    const done = await rotateOnce();
    if (done) return done;
    // Another replica rotated between our read and write: its new key is the rotation asked for.
    const pending = rows.filter((r) => r.retiredAt === null).at(-1);
    if (!pending) throw new Error('key rotation found no key to hand over to');
    return { kid: pending.kid, publishedAt: pending.createdAt, activatesAt: pending.activatesAt };
  };

  if (rows.length === 0) {
    const now = clock.now();
    // Conditional: replicas starting together on an empty database make one first key, not one each.
    await store.signingKeys.insertFirst(await generate(masterKey, now, now));
    await reload();
  }
  // Fail at start, not at the first mint, when the master key cannot open the stored keys.
  for (const row of rows) {
    try {
      await privateKey(row);
    } catch {
      throw new Error(
        `signing key ${row.kid} cannot be opened with this master key (WARREN_MASTER_KEY or master.key)`,
      );
    }
  }

  return {
    async meshSigningKey() {
      const row = active();
      if (!row) throw new Error('no active signing key');
      return { kid: row.kid, key: (await privateKey(row)).keyObject };
    },
    async signingKey() {
      const row = active();
      if (!row) throw new Error('no active signing key');
      return { kid: row.kid, ...(await privateKey(row)) };
    },
    jwks() {
      return { keys: published().map((r) => JSON.parse(r.publicJwk) as PublicJwk) };
    },
    rotate,
    refresh: reload,
    async tick(guard) {
      const now = clock.now();
      for (const r of rows) {
        if (r.expiresAt !== null && r.expiresAt <= now) {
          await store.signingKeys.remove(r.kid);
          privateKeys.delete(r.kid);
        }
      }
      await reload();
      const newest = rows.at(-1);
      if (newest && newest.activatesAt + config.rotationIntervalMs <= now) return rotateOnce(guard);
      return undefined;
    },
  };
}
