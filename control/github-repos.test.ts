// Project repositories and the node's git-token exchange on a real control plane, against the FakeGitHub.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type GitHubWorld, startGitHubWorld, WORLD, WORLD_INSTALLATION } from './github/testing/index.ts';
import {
  joinTestNode,
  type PushRecorder,
  signInWithGitHub,
  startPushRecorder,
  startTestControl,
  type TestControl,
  type TestNodeCredential,
} from './testing/index.ts';

let world: GitHubWorld;
let control: TestControl;
let pushes: PushRecorder;
let alice: { session: string; headers: { cookie: string } };

beforeAll(async () => {
  world = startGitHubWorld();
  control = await startTestControl({ github: world.config });
  pushes = startPushRecorder();
  const signed = await signInWithGitHub(control.url, world.fake, WORLD.alice);
  alice = { session: signed.session!, headers: { cookie: `warren_session=${signed.session}` } };
  // The installation is known (as after the setup redirect or a webhook).
  await control.deps.store.github.installations.upsert(WORLD_INSTALLATION);
});
afterAll(async () => {
  await control.stop();
  await pushes.stop();
  await world.stop();
});

const api = () => control.clientWith();
const minted = () => world.fake.hits.get('POST /app/installations/{id}/access_tokens') ?? 0;

async function aliceProject(name: string) {
  const p = await api().POST('/api/v1/projects', { body: { name }, headers: alice.headers });
  expect(p.response.status).toBe(200);
  return p.data!.id;
}

const joinNode = (name: string) => joinTestNode(control, { name, address: pushes.url, capacity: 8 });

describe('Project repositories', () => {
  it('binds the primary and adds an additional repository only after both access checks pass', async () => {
    const id = await aliceProject('app');
    const path = { params: { path: { id } }, headers: alice.headers };
    const bound = await api().PUT('/api/v1/projects/{id}/repositories/primary', {
      ...path,
      body: { installationId: WORLD.installationId, repo: 'acme/app' },
    });
    expect(bound.data).toEqual({
      installationId: WORLD.installationId,
      repos: [{ repoId: WORLD.repos.app, fullName: 'acme/app', role: 'primary' }],
    });
    const suggested = await api().GET('/api/v1/projects/{id}/repositories/suggestions', path);
    expect(suggested.data).toEqual({ repos: ['acme/lib', 'acme/tools'] });
    const lib = await api().POST('/api/v1/projects/{id}/repositories', {
      ...path,
      body: { repo: 'acme/lib' },
    });
    expect(lib.data!.repos.map((r) => r.repoId)).toEqual([WORLD.repos.app, WORLD.repos.lib]);
    // alice cannot see acme/secret (the installation can): 404, not added.
    const secret = await api().POST('/api/v1/projects/{id}/repositories', {
      ...path,
      body: { repo: 'acme/secret' },
    });
    expect(secret.response.status).toBe(404);
    // The installation does not cover acme/tools (alice can see it): 422, not added.
    const tools = await api().POST('/api/v1/projects/{id}/repositories', {
      ...path,
      body: { repo: 'acme/tools' },
    });
    expect(tools.response.status).toBe(422);
    expect(tools.error?.error.code).toBe('unprocessable');
    const listed = await api().GET('/api/v1/projects/{id}/repositories', path);
    expect(listed.data!.repos.map((r) => r.fullName)).toEqual(['acme/app', 'acme/lib']);
    // The primary cannot be removed; an additional one can.
    const primary = await api().DELETE('/api/v1/projects/{id}/repositories/{repoId}', {
      params: { path: { id, repoId: String(WORLD.repos.app) } },
      headers: alice.headers,
    });
    expect(primary.response.status).toBe(409);
    const removed = await api().DELETE('/api/v1/projects/{id}/repositories/{repoId}', {
      params: { path: { id, repoId: String(WORLD.repos.lib) } },
      headers: alice.headers,
    });
    expect(removed.data!.repos.map((r) => r.repoId)).toEqual([WORLD.repos.app]);
  });

  it('refuses a bind through an installation Warren has not recorded', async () => {
    const id = await aliceProject('unknown-installation');
    const r = await api().PUT('/api/v1/projects/{id}/repositories/primary', {
      params: { path: { id } },
      headers: alice.headers,
      body: { installationId: 123456, repo: 'acme/app' },
    });
    expect(r.response.status).toBe(404);
    expect(await control.deps.store.github.projectRepos.get(id)).toBeUndefined();
  });

  it("answers 404 on another user's project and 409 for a user who never signed in with GitHub", async () => {
    const id = await aliceProject('private');
    const member = await control.client.POST('/api/v1/users', { body: { name: 'mallory' } });
    const mallory = control.clientWith(member.data!.apiToken);
    for (const r of [
      await mallory.GET('/api/v1/projects/{id}/repositories', { params: { path: { id } } }),
      await mallory.PUT('/api/v1/projects/{id}/repositories/primary', {
        params: { path: { id } },
        body: { installationId: WORLD.installationId, repo: 'acme/app' },
      }),
      await mallory.POST('/api/v1/projects/{id}/repositories', {
        params: { path: { id } },
        body: { repo: 'acme/lib' },
      }),
      await mallory.GET('/api/v1/projects/{id}/repositories/suggestions', { params: { path: { id } } }),
    ]) {
      expect(r.response.status).toBe(404);
      expect(r.error?.error.code).toBe('not_found');
    }
    // The admin sees every project but has no GitHub token here: the user-side check cannot run.
    const asAdmin = await control.client.PUT('/api/v1/projects/{id}/repositories/primary', {
      params: { path: { id } },
      body: { installationId: WORLD.installationId, repo: 'acme/app' },
    });
    expect(asAdmin.response.status).toBe(409);
    const bad = await api().PUT('/api/v1/projects/{id}/repositories/primary', {
      params: { path: { id } },
      headers: alice.headers,
      body: { installationId: WORLD.installationId, repo: '../../etc' },
    });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.error.code).toBe('invalid_request');
  });
  it('asks the user to sign in with GitHub again when GitHub no longer accepts their stored token', async () => {
    const bob = await signInWithGitHub(control.url, world.fake, WORLD.bob);
    const headers = { cookie: `warren_session=${bob.session}` };
    const me = await api().GET('/api/v1/auth/me', { headers });
    await control.deps.github!.stores.userTokens.save(me.data!.id, 'ghu_expired');
    const p = await api().POST('/api/v1/projects', { body: { name: 'bobs' }, headers });
    const r = await api().PUT('/api/v1/projects/{id}/repositories/primary', {
      params: { path: { id: p.data!.id } },
      headers,
      body: { installationId: WORLD.installationId, repo: 'acme/app' },
    });
    expect(r.response.status).toBe(409);
    expect(r.error?.error.message).toContain('sign in with GitHub again');
  });
});

describe('Git token exchange', () => {
  it("mints for the hosting node a token that sees exactly the project's repository set", async () => {
    const id = await aliceProject('tokens');
    const path = { params: { path: { id } }, headers: alice.headers };
    await api().PUT('/api/v1/projects/{id}/repositories/primary', {
      ...path,
      body: { installationId: WORLD.installationId, repo: 'acme/app' },
    });
    await api().POST('/api/v1/projects/{id}/repositories', { ...path, body: { repo: 'acme/lib' } });
    const host = await joinNode('host');
    const other = await joinNode('other');
    const ws = await api().POST('/api/v1/workspaces', {
      body: { name: 'w1', projectId: id, nodeId: host.nodeId },
      headers: alice.headers,
    });
    expect(ws.data!.nodeId).toBe(host.nodeId);
    const wsId = ws.data!.id;
    const mint = (as: TestNodeCredential | string | undefined, workspaceId = wsId) =>
      (typeof as === 'object' ? control.nodeClient(as) : control.clientWith(as)).POST(
        '/api/v1/workspaces/{id}/git-token',
        { params: { path: { id: workspaceId } } },
      );

    const before = minted();
    const ok = await mint(host);
    expect(ok.response.status).toBe(200);
    expect(ok.data!.repositoryIds).toEqual([WORLD.repos.app, WORLD.repos.lib]);
    expect(Date.parse(ok.data!.expiresAt)).toBeGreaterThan(Date.now());
    expect(ok.response.headers.get('cache-control')).toBe('no-store');
    const onGitHub = world.fake.installationToken(ok.data!.token)!;
    expect(onGitHub.repositoryIds?.toSorted()).toEqual([WORLD.repos.app, WORLD.repos.lib]);
    expect(onGitHub.permissions).toEqual({ contents: 'write' });
    expect(minted()).toBe(before + 1);

    // Another node, an unknown workspace, no certificate, a user's token: refused, nothing minted.
    const wrongNode = await mint(other);
    expect(wrongNode.response.status).toBe(404);
    expect(wrongNode.error?.error.code).toBe('not_found');
    expect((await mint(host, 'wsp_unknown')).response.status).toBe(404);
    expect((await mint(undefined)).response.status).toBe(401);
    expect((await mint(control.adminToken)).response.status).toBe(401);
    expect(minted()).toBe(before + 1);

    // A stopped workspace gets nothing either.
    await api().POST('/api/v1/workspaces/{id}/stop', {
      params: { path: { id: wsId } },
      headers: alice.headers,
    });
    const stopped = await mint(host);
    expect(stopped.response.status).toBe(404);
    expect(minted()).toBe(before + 1);
  });

  it('answers 409 for a workspace whose project has no repositories, without minting', async () => {
    const id = await aliceProject('no-repos');
    const host = await joinNode('host2');
    const ws = await api().POST('/api/v1/workspaces', {
      body: { name: 'w2', projectId: id, nodeId: host.nodeId },
      headers: alice.headers,
    });
    const before = minted();
    const r = await control.nodeClient(host).POST('/api/v1/workspaces/{id}/git-token', {
      params: { path: { id: ws.data!.id } },
    });
    expect(r.response.status).toBe(409);
    expect(minted()).toBe(before);
  });
});
