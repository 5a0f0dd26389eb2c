// The node's local admin credential: made once, 0600 in a 0700 data dir, the same on every start, compared exactly.
import { afterAll, describe, expect, it } from 'bun:test';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_CREDENTIAL_FILE, loadOrCreateAdminCredential } from './admin-credential.ts';
import { tempDataDir } from './testing/index.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
/** A data dir the node has not made yet, so the loader creates it. */
function freshDataDir(): string {
  const d = tempDataDir();
  dirs.push(d);
  return join(d, 'node');
}

describe('Admin credential', () => {
  it('is 256 random bits in base64url, in a 0600 file of a 0700 data dir', () => {
    const dir = freshDataDir();
    const c = loadOrCreateAdminCredential(dir);
    expect(c.path).toBe(join(dir, ADMIN_CREDENTIAL_FILE));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(c.path).mode & 0o777).toBe(0o600);
    const secret = readFileSync(c.path, 'utf8').trim();
    expect(secret).toMatch(/^wrn_node_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret.slice('wrn_node_'.length), 'base64url')).toHaveLength(32);
    expect(loadOrCreateAdminCredential(freshDataDir()).matches(secret)).toBe(false);
  });

  it('stays the same across restarts and tightens a loosened file back to 0600', () => {
    const dir = freshDataDir();
    const first = loadOrCreateAdminCredential(dir);
    const secret = readFileSync(first.path, 'utf8');
    chmodSync(first.path, 0o644);
    const again = loadOrCreateAdminCredential(dir);
    expect(readFileSync(again.path, 'utf8')).toBe(secret);
    expect(statSync(again.path).mode & 0o777).toBe(0o600);
    expect(again.matches(secret.trim())).toBe(true);
  });

  it('matches only the exact credential', () => {
    const c = loadOrCreateAdminCredential(freshDataDir());
    const secret = readFileSync(c.path, 'utf8').trim();
    expect(c.matches(secret)).toBe(true);
    for (const other of [
      '',
      secret.slice(0, -1),
      `${secret} `,
      secret.toUpperCase(),
      `wrn_node_${'A'.repeat(43)}`,
    ]) {
      expect(c.matches(other)).toBe(false);
    }
  });

  it('refuses to start on a file that holds something else, rather than trust it', () => {
    const dir = freshDataDir();
    loadOrCreateAdminCredential(dir);
    writeFileSync(join(dir, ADMIN_CREDENTIAL_FILE), 'password\n');
    expect(() => loadOrCreateAdminCredential(dir)).toThrow(/does not hold a node admin credential/);
  });
});
