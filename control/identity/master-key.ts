// The master key that seals signing keys at rest: from WARREN_MASTER_KEY, or generated once into the data dir.

import { hkdfSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File name of the generated master key inside the data dir (mode 0600). */
export const MASTER_KEY_FILE = 'master.key';

/**
 * Returns the AES-256-GCM master key: `configured` (32 raw bytes, from config) when given, else the
 * key in `<dataDir>/master.key`, generated on first use.
 */
export async function loadMasterKey(dataDir: string, configured?: Uint8Array): Promise<CryptoKey> {
  const raw = loadMasterKeyBytes(dataDir, configured);
  return crypto.subtle.importKey('raw', raw as BufferSource, { name: 'AES-GCM' }, false, [
    'encrypt',
    'decrypt',
  ]);
}

/**
 * A 32-byte key for one purpose, derived from the master key with HKDF-SHA256 (`info` names the purpose), so
 * no two uses share a key and none of them can reveal the master key.
 */
export function deriveSubkey(dataDir: string, configured: Uint8Array | undefined, info: string): Uint8Array {
  const raw = loadMasterKeyBytes(dataDir, configured);
  return new Uint8Array(hkdfSync('sha256', raw, new Uint8Array(0), `warren:${info}`, 32));
}

/** The master key's 32 raw bytes: `configured`, else `<dataDir>/master.key`, generated on first use. */
function loadMasterKeyBytes(dataDir: string, configured?: Uint8Array): Uint8Array {
  let raw = configured;
  if (!raw) {
    const path = join(dataDir, MASTER_KEY_FILE);
    if (existsSync(path)) {
      raw = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
      if (raw.length !== 32) throw new Error(`${path} must hold 32 bytes in base64url`);
    } else {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      raw = crypto.getRandomValues(new Uint8Array(32));
      writeFileSync(path, `${Buffer.from(raw).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
    }
  }
  return raw;
}

/** Seals `plain` with AES-GCM; `aad` binds the ciphertext to its row (the key id). */
export async function seal(masterKey: CryptoKey, plain: Uint8Array, aad: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(aad) },
    masterKey,
    plain as BufferSource,
  );
  return Buffer.concat([iv, new Uint8Array(ct)]).toString('base64url');
}

/** Opens what `seal` produced; throws if the key, the AAD or the ciphertext differ. */
export async function unseal(masterKey: CryptoKey, sealed: string, aad: string): Promise<Uint8Array> {
  const buf = Buffer.from(sealed, 'base64url');
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: buf.subarray(0, 12), additionalData: new TextEncoder().encode(aad) },
    masterKey,
    buf.subarray(12),
  );
  return new Uint8Array(plain);
}
