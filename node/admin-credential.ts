// The node's local admin credential: a random secret, generated once into the data dir (0600), that opens its views.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file in the node's data dir that holds the credential (`warren mesh status --data DIR` reads it). */
export const ADMIN_CREDENTIAL_FILE = 'admin-credential';

const PREFIX = 'wrn_node_';
// 256 bits: beyond guessing, however many tries a workspace on this machine makes.
const SECRET_BYTES = 32;
// `wrn_node_` and the base64url of 32 bytes (43 characters, no padding).
const FORMAT = /^wrn_node_[A-Za-z0-9_-]{43}$/;

/**
 * Proof that a caller may read this node's files: only a local account that can read the data dir holds it.
 * Workspaces share the machine (and its loopback) but not the node's data dir, so loopback proves nothing.
 */
export interface AdminCredential {
  /** Where the credential lives. */
  readonly path: string;
  /** True when `presented` is the credential; constant-time. */
  matches(presented: string): boolean;
}

/** Loads the credential from `dataDir`, creating it on first use; the secret itself stays in this closure. */
export function loadOrCreateAdminCredential(dataDir: string): AdminCredential {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, ADMIN_CREDENTIAL_FILE);
  let secret: string;
  if (existsSync(path)) {
    chmodSync(path, 0o600);
    secret = readFileSync(path, 'utf8').trim();
    if (!FORMAT.test(secret)) {
      throw new Error(
        `${path} does not hold a node admin credential; remove it and the node makes a new one`,
      );
    }
  } else {
    secret = `${PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, `${secret}\n`, { mode: 0o600 });
    renameSync(tmp, path);
  }
  const expected = digest(secret);
  return {
    path,
    // Digests of equal length, so neither the length nor the content of the secret leaks through timing.
    matches: (presented) => timingSafeEqual(expected, digest(presented)),
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
