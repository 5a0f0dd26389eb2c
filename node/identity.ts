// The node's Ed25519 key pair: generated once, kept in the data dir with mode 0600.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ed25519PublicJwk } from '../contract/index.ts';

/** The node's signing identity. `privateKey` never leaves the process. */
export interface NodeIdentity {
  publicJwk: Ed25519PublicJwk;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The same private key for node:crypto, which signs the node's mesh entries and claims. */
  meshKey: KeyObject;
}

/** The key pair's file in the data dir (mode 0600). */
export const IDENTITY_FILE = 'identity.json';

/** Loads the key pair from `dataDir`, creating it on first use. */
export async function loadOrCreateIdentity(dataDir: string): Promise<NodeIdentity> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, IDENTITY_FILE);
  if (existsSync(path)) {
    chmodSync(path, 0o600);
    const jwk = JSON.parse(readFileSync(path, 'utf8')) as JsonWebKey;
    return fromPrivateJwk(jwk);
  }
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, d: jwk.d }), { mode: 0o600 });
  renameSync(tmp, path);
  return fromPrivateJwk(jwk);
}

async function fromPrivateJwk(jwk: JsonWebKey): Promise<NodeIdentity> {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x || !jwk.d) {
    throw new Error(`${IDENTITY_FILE} does not hold an Ed25519 private key`);
  }
  const privateKey = await crypto.subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d },
    { name: 'Ed25519' },
    false,
    ['sign'],
  );
  const publicKey = await crypto.subtle.importKey(
    'jwk',
    { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
    { name: 'Ed25519' },
    true,
    ['verify'],
  );
  const meshKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d },
    format: 'jwk',
  });
  return { publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, privateKey, publicKey, meshKey };
}
