// Cached credential lookups end at once on this process: revoked tokens, ended sessions, revoked or changed users.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { startTestControl, startTestReplica, type TestControl } from '../testing/index.ts';

let control: TestControl;

beforeAll(async () => {
  control = await startTestControl();
});
afterAll(async () => {
  await control.stop();
});

async function newMember(name: string) {
  const r = await control.client.POST('/api/v1/users', { body: { name } });
  expect(r.response.status).toBe(200);
  return { user: r.data!.user, client: control.clientWith(r.data!.apiToken), loginLink: r.data!.loginLink };
}

describe('Credential cache', () => {
  it('refuses a revoked API token on the very next request', async () => {
    const created = await control.client.POST('/api/v1/tokens', { body: { name: 'cached' } });
    const client = control.clientWith(created.data!.token);
    // Twice, so the second answer comes from the cache if there is one.
    expect((await client.GET('/api/v1/projects')).response.status).toBe(200);
    expect((await client.GET('/api/v1/projects')).response.status).toBe(200);
    await control.client.DELETE('/api/v1/tokens/{id}', { params: { path: { id: created.data!.id } } });
    expect((await client.GET('/api/v1/projects')).response.status).toBe(401);
  });

  it('refuses a signed-out session on the very next request', async () => {
    const member = await newMember('browser');
    const res = await fetch(member.loginLink, { redirect: 'manual' });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const me = () => fetch(`${control.url}/api/v1/auth/me`, { headers: { cookie } });
    expect((await me()).status).toBe(200);
    expect((await me()).status).toBe(200);
    await fetch(`${control.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie } });
    expect((await me()).status).toBe(401);
  });

  it('refuses every credential of a revoked user on the very next request', async () => {
    const member = await newMember('revoked');
    expect((await member.client.GET('/api/v1/projects')).response.status).toBe(200);
    expect((await member.client.GET('/api/v1/projects')).response.status).toBe(200);
    await control.client.POST('/api/v1/revocations', { body: { subject: `user:${member.user.id}` } });
    expect((await member.client.GET('/api/v1/projects')).response.status).toBe(401);
  });

  it('moves the credential epoch on every credential write, and not on reads', async () => {
    const { store } = control.deps;
    const before = store.credentialEpoch();
    await store.apiTokens.findByHash('nothing');
    await store.users.list();
    expect(store.credentialEpoch()).toBe(before);
    await store.sessions.revokeAllOfUser('nobody', 0);
    const after = store.credentialEpoch();
    expect(after).toBeGreaterThan(before);
    await store.users.setRole('nobody', 'member');
    expect(store.credentialEpoch()).toBeGreaterThan(after);
  });

  it('refuses an admin operation on the next request after the role was taken away', async () => {
    const member = await newMember('demoted');
    await control.deps.store.users.setRole(member.user.id, 'admin');
    // A session holds every scope, so the role alone decides.
    const res = await fetch(member.loginLink, { redirect: 'manual' });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const admin = () => fetch(`${control.url}/api/v1/users`, { headers: { cookie } });
    expect((await admin()).status).toBe(200);
    expect((await admin()).status).toBe(200);
    await control.deps.store.users.setRole(member.user.id, 'member');
    expect((await admin()).status).toBe(403);
  });
});

describe('Credential cache with two replicas on one database', () => {
  let b: TestControl;
  beforeAll(async () => {
    // A second control plane on the first one's database and master key, as behind a load balancer.
    b = await startTestReplica(control);
  });
  afterAll(async () => {
    await b.stop();
  });

  it('refuses on replica B, once it follows the shared epoch, a token revoked through replica A', async () => {
    const created = await control.client.POST('/api/v1/tokens', { body: { name: 'replicated' } });
    const onB = b.clientWith(created.data!.token);
    expect((await onB.GET('/api/v1/projects')).response.status).toBe(200);
    expect((await onB.GET('/api/v1/projects')).response.status).toBe(200);
    await control.client.DELETE('/api/v1/tokens/{id}', { params: { path: { id: created.data!.id } } });
    // B's timer does this every second; by hand here, so the answer cannot come from the cache's TTL.
    await b.deps.store.followCredentialEpoch();
    expect((await onB.GET('/api/v1/projects')).response.status).toBe(401);
  });

  it('refuses on replica B a session signed out through replica A', async () => {
    const member = await newMember('two-replicas');
    const res = await fetch(member.loginLink, { redirect: 'manual' });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const meOnB = () => fetch(`${b.url}/api/v1/auth/me`, { headers: { cookie } });
    expect((await meOnB()).status).toBe(200);
    expect((await meOnB()).status).toBe(200);
    await fetch(`${control.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie } });
    await b.deps.store.followCredentialEpoch();
    expect((await meOnB()).status).toBe(401);
  });
});
