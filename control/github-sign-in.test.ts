// GitHub sign-in, approval, installations and webhooks on a real control plane, against the FakeGitHub.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { loadControlConfig } from './config.ts';
import { deliverWebhook, type GitHubWorld, startGitHubWorld, WORLD } from './github/testing/index.ts';
import {
  manualRedirectClient,
  setCookies,
  signInWithGitHub,
  startTestControl,
  type TestControl,
} from './testing/index.ts';

let world: GitHubWorld;
let control: TestControl;
let approving: TestControl;
let plain: TestControl;

beforeAll(async () => {
  world = startGitHubWorld();
  control = await startTestControl({ github: world.config });
  approving = await startTestControl({ github: world.config, config: { requireApproval: true } });
  plain = await startTestControl();
});
afterAll(async () => {
  await Promise.all([control.stop(), approving.stop(), plain.stop()]);
  await world.stop();
});

const cookie = (session: string) => ({ headers: { cookie: `warren_session=${session}` } });

describe('GitHub configuration', () => {
  it('tells the UI whether GitHub sign-in is offered', async () => {
    expect((await plain.clientWith().GET('/api/v1/auth/providers')).data).toEqual({
      github: { enabled: false, installUrl: null, requiresApproval: false },
    });
    expect((await approving.clientWith().GET('/api/v1/auth/providers')).data).toEqual({
      github: {
        enabled: true,
        installUrl: 'https://github.com/apps/warren-test/installations/new',
        requiresApproval: true,
      },
    });
  });

  it('answers the GitHub routes with 404 when no App is configured', async () => {
    const r = await manualRedirectClient(plain.url).GET('/api/v1/auth/github/login', {
      params: { query: {} },
    });
    expect(r.response.status).toBe(404);
    expect(r.error?.error.code).toBe('not_found');
  });

  it('fails at start with the variable named when the App configuration is partial', () => {
    expect(() => loadControlConfig({}, { WARREN_GITHUB_APP_ID: '1' })).toThrow(/WARREN_GITHUB_PRIVATE_KEY/);
    expect(() => loadControlConfig({}, { WARREN_REQUIRE_APPROVAL: 'maybe' })).toThrow(
      /WARREN_REQUIRE_APPROVAL/,
    );
    expect(loadControlConfig({}, { WARREN_REQUIRE_APPROVAL: 'true' }).requireApproval).toBe(true);
  });
});

describe('Sign-in with GitHub', () => {
  it('redirects to GitHub with a state it also keeps in an HttpOnly SameSite=Lax cookie', async () => {
    const r = await manualRedirectClient(control.url).GET('/api/v1/auth/github/login', {
      params: { query: { return_to: '/projects' } },
    });
    expect(r.response.status).toBe(302);
    const to = new URL(r.response.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(`${world.fake.url}/login/oauth/authorize`);
    expect(to.searchParams.get('client_id')).toBe(world.config.clientId);
    expect(to.searchParams.get('redirect_uri')).toBe(`${control.url}/api/v1/auth/github/callback`);
    const header = r.response.headers.getSetCookie().find((c) => c.startsWith('warren_github_state='))!;
    expect(header).toContain(`warren_github_state=${to.searchParams.get('state')}`);
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Lax/);
    expect(header).toMatch(/Path=\/api\/v1\/auth\/github/);
  });

  it('signs a new user in: matched by GitHub id, primary verified email, session cookie, return path', async () => {
    const first = await signInWithGitHub(control.url, world.fake, WORLD.alice, { returnTo: '/projects' });
    expect(first.response.status).toBe(302);
    expect(first.location).toBe('/projects');
    expect(first.session).toStartWith('wrn_ses_');
    const me = await control.clientWith().GET('/api/v1/auth/me', cookie(first.session!));
    expect(me.data).toMatchObject({
      name: 'Alice',
      email: 'alice@acme.example',
      role: 'member',
      status: 'active',
      githubLogin: 'alice',
    });
    // The state cookie is cleared by the callback.
    expect(setCookies(first.response).warren_github_state).toBe('');
    // Signing in again is the same user, not a new one.
    const again = await signInWithGitHub(control.url, world.fake, WORLD.alice);
    const me2 = await control.clientWith().GET('/api/v1/auth/me', cookie(again.session!));
    expect(me2.data!.id).toBe(me.data!.id);
    const users = await control.client.GET('/api/v1/users');
    expect(users.data!.items.filter((u) => u.githubLogin === 'alice')).toHaveLength(1);
    // The user's GitHub token is kept server-side, sealed: never in the clear in the database.
    const rows = await control.deps.database.client.execute('SELECT sealed_token FROM github_user_tokens');
    expect(rows.rows.length).toBeGreaterThan(0);
    for (const r of rows.rows) expect(String(r.sealed_token)).not.toContain('ghu_');
  });

  it('makes one user of two racing first sign-ins of the same person', async () => {
    world.fake.addUser({
      id: 77_002,
      login: 'carl',
      name: 'Carl',
      emails: [],
      repoIds: [],
      installationIds: [],
    });
    const [a, b] = await Promise.all([
      signInWithGitHub(control.url, world.fake, 77_002),
      signInWithGitHub(control.url, world.fake, 77_002),
    ]);
    expect([a.response.status, b.response.status]).toEqual([302, 302]);
    const ids = await Promise.all(
      [a, b].map(
        async (x) => (await control.clientWith().GET('/api/v1/auth/me', cookie(x.session!))).data!.id,
      ),
    );
    expect(ids[0]).toBe(ids[1]!);
  });

  it('keeps an unverified primary email out of the user', async () => {
    const bob = await signInWithGitHub(control.url, world.fake, WORLD.bob);
    const me = await control.clientWith().GET('/api/v1/auth/me', cookie(bob.session!));
    expect(me.data).toMatchObject({ name: 'bob', email: null, githubLogin: 'bob' });
  });

  it('rejects a callback whose state does not match the cookie, or was forged, without asking GitHub', async () => {
    const exchanges = () => world.fake.hits.get('POST /login/oauth/access_token') ?? 0;
    const before = exchanges();
    const client = manualRedirectClient(control.url);
    const login = await client.GET('/api/v1/auth/github/login', { params: { query: {} } });
    const state = new URL(login.response.headers.get('location')!).searchParams.get('state')!;
    const code = world.fake.authorize(WORLD.alice);
    // No cookie: a callback link planted in another browser.
    const planted = await client.GET('/api/v1/auth/github/callback', { params: { query: { code, state } } });
    expect(planted.response.status).toBe(400);
    expect(planted.error?.error.code).toBe('invalid_request');
    expect(setCookies(planted.response).warren_session).toBeUndefined();
    // Cookie and query agree but the secret half was forged.
    const forged = `${state.split('.')[0]}.${'A'.repeat(43)}`;
    const wrong = await client.GET('/api/v1/auth/github/callback', {
      params: { query: { code, state: forged } },
      headers: { cookie: `warren_github_state=${forged}` },
    });
    expect(wrong.response.status).toBe(400);
    expect(exchanges()).toBe(before);
  });

  it('uses a state once: replaying a finished callback is refused', async () => {
    const client = manualRedirectClient(control.url);
    const login = await client.GET('/api/v1/auth/github/login', { params: { query: {} } });
    const to = new URL(login.response.headers.get('location')!);
    const state = to.searchParams.get('state')!;
    const code = world.fake.authorize(WORLD.alice, to.searchParams.get('redirect_uri'));
    const init = {
      params: { query: { code, state } },
      headers: { cookie: `warren_github_state=${state}` },
    };
    expect((await client.GET('/api/v1/auth/github/callback', init)).response.status).toBe(302);
    const replay = await client.GET('/api/v1/auth/github/callback', init);
    expect(replay.response.status).toBe(400);
  });

  it('links GitHub to the account already signed in on this browser (the local admin)', async () => {
    const link = await control.deps.credentials.loginLink(
      (await control.client.GET('/api/v1/auth/me')).data!.id,
      control.url,
    );
    const login = await fetch(link, { redirect: 'manual' });
    const adminSession = setCookies(login).warren_session!;
    world.fake.addUser({
      id: 77_001,
      login: 'root',
      name: 'Root',
      emails: [],
      repoIds: [],
      installationIds: [],
    });
    const signed = await signInWithGitHub(control.url, world.fake, 77_001, {
      cookie: `warren_session=${adminSession}`,
    });
    const me = await control.clientWith().GET('/api/v1/auth/me', cookie(signed.session!));
    expect(me.data).toMatchObject({ name: 'admin', role: 'admin', githubLogin: 'root' });
  });

  it('keeps the local admin login link working', async () => {
    const adminId = (await control.client.GET('/api/v1/auth/me')).data!.id;
    const link = await control.deps.credentials.loginLink(adminId, control.url);
    const r = await fetch(link, { redirect: 'manual' });
    expect(r.status).toBe(302);
    expect(setCookies(r).warren_session).toStartWith('wrn_ses_');
  });
});

describe('Approval of new users', () => {
  it('holds a new GitHub user without a session until an admin approves them', async () => {
    const first = await signInWithGitHub(approving.url, world.fake, WORLD.alice);
    expect(first.response.status).toBe(302);
    expect(first.location).toBe('/?signin=pending_approval');
    expect(first.session).toBeUndefined();
    const pending = (await approving.client.GET('/api/v1/users')).data!.items.find(
      (u) => u.githubLogin === 'alice',
    )!;
    expect(pending.status).toBe('pending');
    // Even a credential minted for a pending user is refused.
    const token = await approving.deps.credentials.apiToken(pending.id, 't', ['read']);
    const refused = await approving.clientWith(token.secret).GET('/api/v1/auth/me');
    expect(refused.response.status).toBe(403);
    // Only admins approve.
    const member = await approving.client.POST('/api/v1/users', { body: { name: 'm' } });
    const byMember = await approving
      .clientWith(member.data!.apiToken)
      .POST('/api/v1/users/{id}/approve', { params: { path: { id: pending.id } } });
    expect(byMember.response.status).toBe(403);
    const approved = await approving.client.POST('/api/v1/users/{id}/approve', {
      params: { path: { id: pending.id } },
    });
    expect(approved.data).toMatchObject({ id: pending.id, status: 'active' });
    expect((await approving.clientWith(token.secret).GET('/api/v1/auth/me')).response.status).toBe(200);
    const second = await signInWithGitHub(approving.url, world.fake, WORLD.alice);
    expect(second.location).toBe('/');
    expect(second.session).toBeDefined();
    const unknown = await approving.client.POST('/api/v1/users/{id}/approve', {
      params: { path: { id: 'usr_nobody' } },
    });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error?.error.code).toBe('not_found');
  });
});

describe('Installations', () => {
  it('records an installation from the setup redirect only when the signed-in user can see it', async () => {
    const alice = await signInWithGitHub(control.url, world.fake, WORLD.alice);
    const client = manualRedirectClient(control.url);
    const setup = await client.GET('/api/v1/github/setup', {
      params: { query: { installation_id: String(WORLD.installationId), setup_action: 'install' } },
      ...cookie(alice.session!),
    });
    expect(setup.response.status).toBe(302);
    expect(setup.response.headers.get('location')).toBe(`/?github_installation=${WORLD.installationId}`);
    expect(await control.deps.store.github.installations.get(WORLD.installationId)).toMatchObject({
      accountLogin: 'acme',
      suspended: false,
    });
    const listed = await control.clientWith().GET('/api/v1/github/installations', cookie(alice.session!));
    expect(listed.data!.items).toEqual([
      { id: WORLD.installationId, accountLogin: 'acme', accountType: 'Organization', suspended: false },
    ]);
    // bob cannot see installation 77: nothing is recorded for him.
    world.fake.addInstallation({ id: 88, account: { id: 700, login: 'zed', type: 'User' }, repoIds: [] });
    const bob = await signInWithGitHub(control.url, world.fake, WORLD.bob);
    const refused = await client.GET('/api/v1/github/setup', {
      params: { query: { installation_id: '88' } },
      ...cookie(bob.session!),
    });
    expect(refused.response.status).toBe(404);
    expect(await control.deps.store.github.installations.get(88)).toBeUndefined();
    const bobs = await control.clientWith().GET('/api/v1/github/installations', cookie(bob.session!));
    expect(bobs.data!.items).toEqual([]);
    // Without a session, nothing at all.
    const anonymous = await client.GET('/api/v1/github/setup', {
      params: { query: { installation_id: '77' } },
    });
    expect(anonymous.response.status).toBe(401);
  });
});

describe('Webhooks', () => {
  const url = () => `${control.url}/api/v1/github/webhook`;
  const payload = (id: number, action: string) => ({
    action,
    installation: { id, account: { id: 900, login: 'hooked', type: 'Organization' }, suspended_at: null },
  });

  it('rejects a delivery with a bad or missing signature and records nothing', async () => {
    const forged = await deliverWebhook({
      url: url(),
      secret: 'not-the-secret',
      event: 'installation',
      payload: payload(901, 'created'),
    });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const malformed = await deliverWebhook({
      url: url(),
      secret: world.config.webhookSecret,
      event: 'installation',
      payload: payload(901, 'created'),
      signature: 'sha1=abc',
    });
    expect(malformed.status).toBe(401);
    expect(await control.deps.store.github.installations.get(901)).toBeUndefined();
  });

  it('records and removes installations from signed deliveries (the raw body is verified)', async () => {
    const created = await deliverWebhook({
      url: url(),
      secret: world.config.webhookSecret,
      event: 'installation',
      payload: payload(902, 'created'),
    });
    expect(created.status).toBe(200);
    expect(await control.deps.store.github.installations.get(902)).toMatchObject({ accountLogin: 'hooked' });
    const suspended = await deliverWebhook({
      url: url(),
      secret: world.config.webhookSecret,
      event: 'installation',
      payload: payload(902, 'suspend'),
    });
    expect(suspended.status).toBe(200);
    expect((await control.deps.store.github.installations.get(902))?.suspended).toBe(true);
    const deleted = await deliverWebhook({
      url: url(),
      secret: world.config.webhookSecret,
      event: 'installation',
      payload: payload(902, 'deleted'),
    });
    expect(deleted.status).toBe(200);
    expect(await control.deps.store.github.installations.get(902)).toBeUndefined();
  });
});
