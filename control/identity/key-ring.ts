// Signing keys: creation, sealed storage, rotation (publish before sign, keep until expired) and the JWKS.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { newId, type PublicJwk } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { SigningKeyRow, Store } from '../db/index.ts';
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

/** The key ring of one control plane process; the only writer of signing keys, so it caches them. */
export interface KeyRing {
  /** The key that signs now: the newest key whose activation time has passed. */
  signingKey(): Promise<SigningKey>;
  /** The same key as a node:crypto KeyObject, for signing the control plane's mesh entries. */
  meshSigningKey(): Promise<{ kid: string; key: KeyObject }>;
  /** Every key that is published now: active, pending and retired-but-unexpired. */
  jwks(): { keys: PublicJwk[] };
  /** Publishes a new key that starts signing after the publish lead; the current key retires then. */
  rotate(): Promise<Rotation>;
  /** Rotates if the signing key is older than the rotation interval; drops expired keys. */
  tick(): Promise<Rotation | undefined>;
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

  const rotate = async (): Promise<Rotation> => {
    const now = clock.now();
    const activatesAt = now + config.publishLeadMs;
    const row = await generate(masterKey, now, activatesAt);
    // The newest key not yet retired hands over signing when the new one activates.
    const newest = rows.filter((r) => r.retiredAt === null).at(-1);
    await store.signingKeys.insert(row);
    if (newest)
      await store.signingKeys.retire(newest.kid, activatesAt, activatesAt + config.maxTokenLifetimeMs);
    await reload();
    return { kid: row.kid, publishedAt: now, activatesAt };
  };

  if (rows.length === 0) {
    const now = clock.now();
    await store.signingKeys.insert(await generate(masterKey, now, now));
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
    async tick() {
      const now = clock.now();
      for (const r of rows) {
        if (r.expiresAt !== null && r.expiresAt <= now) {
          await store.signingKeys.remove(r.kid);
          privateKeys.delete(r.kid);
        }
      }
      await reload();
      const newest = rows.at(-1);
      if (newest && newest.activatesAt + config.rotationIntervalMs <= now) return rotate();
      return undefined;
    },
  };
}
