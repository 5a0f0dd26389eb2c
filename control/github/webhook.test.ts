// Tests of the webhook endpoint over a real socket (signature checks) and of the setup callback.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { recordInstallationFromSetup } from './installations.ts';
import {
  deliverWebhook,
  type GitHubWorld,
  MemoryInstallationStore,
  startGitHubWorld,
  WORLD,
} from './testing/index.ts';
import { createGitHubWebhookHandler } from './webhook.ts';

const SECRET = 'fake-webhook-secret';
let world: GitHubWorld;
let server: ReturnType<typeof Bun.serve>;
let url: string;
const installations = new MemoryInstallationStore();

beforeAll(() => {
  world = startGitHubWorld();
  const handler = createGitHubWebhookHandler({ secret: SECRET, installations });
  server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handler });
  url = `http://127.0.0.1:${server.port}/api/v1/github/webhook`;
});
afterAll(async () => {
  await server.stop(true);
  await world.stop();
});

const installationEvent = (action: string, id = 31337) => ({
  action,
  installation: { id, account: { id: 500, login: 'acme', type: 'Organization' }, suspended_at: null },
  sender: { id: 42, login: 'alice' },
});

describe('GitHub webhook', () => {
  it('records an installation from a correctly signed delivery', async () => {
    const res = await deliverWebhook({
      url,
      secret: SECRET,
      event: 'installation',
      payload: installationEvent('created'),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, effect: 'installation_recorded' });
    expect(await installations.get(31337)).toEqual({
      id: 31337,
      accountId: 500,
      accountLogin: 'acme',
      accountType: 'Organization',
      suspended: false,
    });
  });

  it('rejects a bad signature with 401 and records nothing', async () => {
    const payload = installationEvent('created', 4444);
    const wrongSecret = await deliverWebhook({
      url,
      secret: 'not-the-secret',
      event: 'installation',
      payload,
    });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: { code: 'unauthorized' } });
    for (const signature of ['', 'sha256=', `sha256=${'0'.repeat(64)}`, 'sha1=abc']) {
      const res = await deliverWebhook({ url, secret: SECRET, event: 'installation', payload, signature });
      expect(res.status).toBe(401);
    }
    expect(await installations.get(4444)).toBeUndefined();
  });

  it('rejects a body changed after signing', async () => {
    const { sign } = await import('@octokit/webhooks-methods');
    const signature = await sign(SECRET, JSON.stringify(installationEvent('created', 5555)));
    const res = await deliverWebhook({
      url,
      secret: SECRET,
      event: 'installation',
      payload: installationEvent('created', 5556),
      signature,
    });
    expect(res.status).toBe(401);
    expect(await installations.get(5556)).toBeUndefined();
  });

  it('marks suspension and removes a deleted installation', async () => {
    await deliverWebhook({
      url,
      secret: SECRET,
      event: 'installation',
      payload: installationEvent('created', 6),
    });
    await deliverWebhook({
      url,
      secret: SECRET,
      event: 'installation',
      payload: installationEvent('suspend', 6),
    });
    expect((await installations.get(6))?.suspended).toBe(true);
    await deliverWebhook({
      url,
      secret: SECRET,
      event: 'installation',
      payload: installationEvent('unsuspend', 6),
    });
    expect((await installations.get(6))?.suspended).toBe(false);
    const res = await deliverWebhook({
      url,
      secret: SECRET,
      event: 'installation',
      payload: installationEvent('deleted', 6),
    });
    expect(await res.json()).toMatchObject({ effect: 'installation_removed' });
    expect(await installations.get(6)).toBeUndefined();
  });

  it('acknowledges other events without acting and refuses a malformed installation event', async () => {
    const ping = await deliverWebhook({
      url,
      secret: SECRET,
      event: 'ping',
      payload: { zen: 'Keep it simple.' },
    });
    expect(await ping.json()).toMatchObject({ effect: 'ignored' });
    const bad = await deliverWebhook({
      url,
      secret: SECRET,
      event: 'installation',
      payload: { action: 'created' },
    });
    expect(bad.status).toBe(400);
  });
});

describe('Installation setup callback', () => {
  it('records an installation the signed-in user can see', async () => {
    const store = new MemoryInstallationStore();
    const r = await recordInstallationFromSetup({
      app: world.app,
      installations: store,
      userToken: world.fake.userToken(WORLD.alice),
      installationId: String(WORLD.installationId),
    });
    expect(r.ok).toBe(true);
    expect(await store.get(WORLD.installationId)).toMatchObject({ accountLogin: 'acme', suspended: false });
  });

  it('refuses an installation_id the user cannot see (the query parameter is untrusted)', async () => {
    const store = new MemoryInstallationStore();
    const r = await recordInstallationFromSetup({
      app: world.app,
      installations: store,
      userToken: world.fake.userToken(WORLD.bob),
      installationId: WORLD.installationId,
    });
    expect(r).toMatchObject({ ok: false, code: 'not_found' });
    expect(await store.get(WORLD.installationId)).toBeUndefined();
    const junk = await recordInstallationFromSetup({
      app: world.app,
      installations: store,
      userToken: world.fake.userToken(WORLD.alice),
      installationId: '1 OR 1',
    });
    expect(junk).toMatchObject({ ok: false, code: 'invalid_request' });
  });
});
