// Opaque secrets (API tokens, sessions, join tokens, login links): generation, hashing, constant-time comparison.
import { createHash, timingSafeEqual } from 'node:crypto';
import { SECRET_PREFIX } from '../../contract/index.ts';

export type SecretKind = keyof typeof SECRET_PREFIX;

/** A fresh secret: its kind's prefix and 32 random bytes in base64url. */
export function newSecret(kind: SecretKind): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return SECRET_PREFIX[kind] + Buffer.from(bytes).toString('base64url');
}

/** What the database stores instead of the secret: hex SHA-256. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** True when `secret` has the prefix of `kind`; cheap pre-check before a lookup. */
export function looksLike(kind: SecretKind, secret: string): boolean {
  return secret.startsWith(SECRET_PREFIX[kind]) && secret.length < 256;
}

/** Compares two hex digests in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
