// First start: the admin user, a one-time login link and an admin API token, written to the data dir.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newId } from '../contract/index.ts';
import type { ControlDeps } from './deps.ts';

/** Files the first start writes into the data dir (mode 0600). */
export const ADMIN_TOKEN_FILE = 'admin-token';
export const LOGIN_LINK_FILE = 'login-link.txt';

export interface FirstStart {
  loginLink: string;
  adminToken: string;
}

/** Creates the admin when there are no users yet; returns the secrets once, or undefined on later starts. */
export async function bootstrapAdmin(deps: ControlDeps): Promise<FirstStart | undefined> {
  if ((await deps.store.users.count()) > 0) return undefined;
  const admin = await deps.store.users.insert({
    id: newId('user'),
    name: 'admin',
    email: null,
    role: 'admin',
    createdAt: deps.clock.now(),
  });
  const token = await deps.credentials.apiToken(admin.id, 'admin (first start)', ['read', 'write', 'admin']);
  const loginLink = await deps.credentials.loginLink(admin.id, deps.publicUrl);
  mkdirSync(deps.config.dataDir, { recursive: true, mode: 0o700 });
  for (const [name, value] of [
    [ADMIN_TOKEN_FILE, token.secret],
    [LOGIN_LINK_FILE, loginLink],
  ] as const) {
    const path = join(deps.config.dataDir, name);
    writeFileSync(path, `${value}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return { loginLink, adminToken: token.secret };
}
