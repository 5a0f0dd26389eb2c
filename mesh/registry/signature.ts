// Entry signatures: Ed25519 by the origin's key over a canonical encoding of everything but `sig`.
import { createPrivateKey, type KeyObject, sign, verify } from 'node:crypto';
import type { RegistryEntry } from '../../contract/index.ts';

/** Domain separation: a signature over an entry can never pass for one over another kind of message. */
const CONTEXT = 'warren-registry-entry-v1\n';

/** JSON with object keys sorted at every level, so equal entries encode to equal bytes everywhere. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The bytes an entry's signature covers. */
export function signedBytes(entry: Omit<RegistryEntry, 'sig'>): Buffer {
  const { origin, key, kind, version, value, deleted } = entry;
  return Buffer.from(CONTEXT + canonicalJson({ origin, key, kind, version, value, deleted }));
}

/** A private key as given by the node agent: a node:crypto KeyObject or a private JWK. */
export type PrivateKeyInput = KeyObject | JsonWebKey;

/** Normalises a private key input to a KeyObject. */
export function toPrivateKey(key: PrivateKeyInput): KeyObject {
  if ('asymmetricKeyType' in key && typeof (key as KeyObject).export === 'function') return key as KeyObject;
  return createPrivateKey({ key: key as JsonWebKey, format: 'jwk' });
}

/** Signs an entry with its origin's key. */
export function signEntry(entry: Omit<RegistryEntry, 'sig'>, privateKey: KeyObject): RegistryEntry {
  const sig = sign(null, signedBytes(entry), privateKey).toString('base64url');
  return { ...entry, sig };
}

/** Whether `entry.sig` is a valid signature by any of `keys`. */
export function verifyEntry(entry: RegistryEntry, keys: readonly KeyObject[]): boolean {
  let sig: Buffer;
  try {
    sig = Buffer.from(entry.sig, 'base64url');
  } catch {
    return false;
  }
  if (sig.byteLength !== 64) return false;
  const data = signedBytes(entry);
  for (const k of keys) {
    try {
      if (verify(null, data, k, sig)) return true;
    } catch {
      // A key of the wrong type simply does not verify.
    }
  }
  return false;
}
