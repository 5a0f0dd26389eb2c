// `warren admin …` against a real control plane: fresh sign-in links, unique emails, and disabling or deleting a
// person ending their open session and API token at once.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createControlClient } from '../openapi/client/index.ts';
import { startWarrenUp, type WarrenUp } from './testing/index.ts';

const CLI = resolve(import.meta.dir, '../cli/main.ts');
let up: WarrenUp;

async function warren(...args: string[]) {
  const p = Bun.spawn([process.execPath, CLI, ...args, '--data', up.dataDir], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, WARREN_CONFIG: join(up.dataDir, 'no-login.json') },
  });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, out, err };
}

/** Follows a one-time sign-in link; the session cookie it sets, or undefined when refused. */
async function signIn(link: string): Promise<string | undefined> {
  const res = await fetch(link, { redirect: 'manual' });
  return res.status === 302 ? res.headers.get('set-cookie')?.split(';')[0] : undefined;
}

/** The status of "who am I" with a session cookie or an API token. */
async function me(proof: { cookie: string } | { token: string }): Promise<number> {
  const headers: Record<string, string> =
    'cookie' in proof ? { cookie: proof.cookie } : { authorization: `Bearer ${proof.token}` };
  return (await fetch(`${up.controlUrl}/api/v1/auth/me`, { headers })).status;
}

beforeAll(async () => {
  up = await startWarrenUp(0);
}, 60_000);
afterAll(() => up?.stop());

describe('warren admin', () => {
  let alice = { id: '', apiToken: '' };

  it('invites a person and keeps emails unique whatever their case', async () => {
    const client = createControlClient(up.controlUrl, { token: up.adminToken });
    const made = await client.POST('/api/v1/users', { body: { name: 'alice', email: 'Alice@acme.example' } });
    alice = { id: made.data!.user.id, apiToken: made.data!.apiToken };
    const again = await warren('admin', 'invite', 'alice2', '--email', 'alice@ACME.example');
    expect(again.code).toBe(1);
    expect(again.err).toContain('409 conflict');
    expect(again.err.trimEnd().split('\n')).toHaveLength(1);
    const invited = await warren('admin', 'invite', 'bob', '--email', 'bob@acme.example');
    expect(invited.code).toBe(0);
    expect(invited.out).toContain('/auth/login?token=wrn_login_');
  });

  it('re-issues a one-time sign-in link for an existing person', async () => {
    const r = await warren('admin', 'login-link', 'alice@acme.example');
    expect(r.code).toBe(0);
    const cookie = await signIn(r.out.trim());
    expect(cookie).toBeDefined();
    expect(await me({ cookie: cookie! })).toBe(200);
    // One use only.
    expect(await signIn(r.out.trim())).toBeUndefined();
  });

  it('disabling ends an open session and the API token at once; enabling needs a new link', async () => {
    const cookie = await signIn((await warren('admin', 'login-link', alice.id)).out.trim());
    expect(await me({ cookie: cookie! })).toBe(200);
    expect(await me({ token: alice.apiToken })).toBe(200);
    const r = await warren('admin', 'disable', 'alice');
    expect(r.code).toBe(0);
    expect(await me({ cookie: cookie! })).toBe(401);
    expect(await me({ token: alice.apiToken })).toBe(401);
    // No new way in while disabled.
    const link = await warren('admin', 'login-link', 'alice');
    expect(link.code).toBe(1);
    expect(link.err).toContain('disabled');
    const users = JSON.parse((await warren('admin', 'users', '--json')).out) as {
      id: string;
      disabledAt: string | null;
    }[];
    expect(users.find((u) => u.id === alice.id)?.disabledAt).toBeString();
    expect((await warren('admin', 'enable', 'alice')).code).toBe(0);
    // The old session stays ended; a fresh link works.
    expect(await me({ cookie: cookie! })).toBe(401);
    const again = await signIn((await warren('admin', 'login-link', 'alice')).out.trim());
    expect(await me({ cookie: again! })).toBe(200);
  });

  it('deleting ends an open session at once and removes the person', async () => {
    const cookie = await signIn((await warren('admin', 'login-link', 'alice')).out.trim());
    expect(await me({ cookie: cookie! })).toBe(200);
    const r = await warren('admin', 'delete', alice.id);
    expect(r.code).toBe(0);
    expect(await me({ cookie: cookie! })).toBe(401);
    const users = JSON.parse((await warren('admin', 'users', '--json')).out) as { id: string }[];
    expect(users.map((u) => u.id)).not.toContain(alice.id);
  });

  it('will not let an admin disable or delete themselves', async () => {
    const users = JSON.parse((await warren('admin', 'users', '--json')).out) as {
      name: string;
      role: string;
    }[];
    const self = users.find((u) => u.role === 'admin')!;
    const d = await warren('admin', 'disable', self.name);
    expect(d.code).toBe(1);
    expect(d.err).toContain('yourself');
    const del = await warren('admin', 'delete', self.name);
    expect(del.code).toBe(1);
    expect(del.err).toContain('yourself');
  });

  it('prints a fresh sign-in link for the first admin from the data dir, for a locked-out admin', async () => {
    const r = await warren('admin', 'login-link');
    expect(r.code).toBe(0);
    const cookie = await signIn(r.out.trim());
    expect(await me({ cookie: cookie! })).toBe(200);
  });
});

describe('warren login', () => {
  it('stores the control plane and a checked token 0600, and later commands use them from anywhere', async () => {
    const home = mkdtempSync(join(tmpdir(), 'warren-login-'));
    const config = join(home, 'cfg', 'config.json');
    const run = async (...args: string[]) => {
      const p = Bun.spawn([process.execPath, CLI, ...args], {
        cwd: home,
        stdout: 'pipe',
        stderr: 'pipe',
        env: { ...process.env, WARREN_CONFIG: config },
      });
      const [out, err, code] = await Promise.all([
        new Response(p.stdout).text(),
        new Response(p.stderr).text(),
        p.exited,
      ]);
      return { code, out, err };
    };
    try {
      const bad = await run('login', up.controlUrl, '--token', 'wrn_api_not-a-real-token');
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('401');
      const ok = await run('login', up.controlUrl, '--token', up.adminToken);
      expect(ok.code).toBe(0);
      expect(statSync(config).mode & 0o777).toBe(0o600);
      expect(statSync(join(home, 'cfg')).mode & 0o777).toBe(0o700);
      // No --url, --token or --data: the stored login is used.
      const users = await run('admin', 'users', '--json');
      expect(users.code).toBe(0);
      expect((JSON.parse(users.out) as { role: string }[]).some((u) => u.role === 'admin')).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
