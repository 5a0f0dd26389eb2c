// Tests of project repositories: both access checks, suggestions, and the exact repo set of minted tokens.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'bun:test';
import { mintGitToken } from './git-token.ts';
import { createProjectRepos, type ProjectRepos } from './project-repos.ts';
import {
  type GitHubWorld,
  MemoryInstallationStore,
  MemoryProjectRepoStore,
  startGitHubWorld,
  WORLD,
  WORLD_INSTALLATION,
} from './testing/index.ts';

let world: GitHubWorld;
let store: MemoryProjectRepoStore;
let repos: ProjectRepos;
let alice: string;
const PROJECT = 'pj00000000000000000001';

beforeAll(() => {
  world = startGitHubWorld();
  alice = world.fake.userToken(WORLD.alice);
});
afterAll(() => world.stop());

beforeEach(async () => {
  store = new MemoryProjectRepoStore();
  const installations = new MemoryInstallationStore();
  await installations.upsert(WORLD_INSTALLATION);
  repos = createProjectRepos({ app: world.app, store, installations });
});

async function bindApp() {
  const r = await repos.bindPrimary({
    projectId: PROJECT,
    installationId: WORLD.installationId,
    repo: 'acme/app',
    userToken: alice,
  });
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

const ids = async () => ((await store.get(PROJECT))?.repos ?? []).map((r) => r.repoId).sort((a, b) => a - b);

describe('Project repositories', () => {
  it('binds the primary repository when both the user and the installation can access it', async () => {
    const binding = await bindApp();
    expect(binding).toEqual({
      projectId: PROJECT,
      installationId: WORLD.installationId,
      repos: [{ repoId: WORLD.repos.app, fullName: 'acme/app', role: 'primary' }],
    });
  });

  it('adds an additional repository only after both access checks pass', async () => {
    await bindApp();
    const r = await repos.addRepo({ projectId: PROJECT, repo: 'acme/lib', userToken: alice });
    expect(r.ok).toBe(true);
    expect(await ids()).toEqual([WORLD.repos.app, WORLD.repos.lib]);
  });

  it('refuses a repository the user cannot access (404, existence not revealed), even if the installation can', async () => {
    await bindApp();
    const r = await repos.addRepo({ projectId: PROJECT, repo: 'acme/secret', userToken: alice });
    expect(r).toMatchObject({ ok: false, code: 'not_found' });
    expect(await ids()).toEqual([WORLD.repos.app]);
  });

  it('refuses a repository the installation cannot access, even though the user can read it', async () => {
    await bindApp();
    const before = world.fake.minted.length;
    const r = await repos.addRepo({ projectId: PROJECT, repo: 'acme/tools', userToken: alice });
    expect(r).toMatchObject({ ok: false, code: 'unprocessable' });
    expect(!r.ok && r.message).toContain('installation');
    expect(await ids()).toEqual([WORLD.repos.app]);
    // The check asked GitHub for a token limited to that one repository, and GitHub refused it.
    expect(world.fake.minted.length).toBe(before);
  });

  it('refuses malformed names and a project without a primary repository', async () => {
    expect(await repos.addRepo({ projectId: PROJECT, repo: 'acme/lib', userToken: alice })).toMatchObject({
      ok: false,
      code: 'conflict',
    });
    await bindApp();
    for (const bad of ['acme', 'acme/../x', 'acme/lib/extra', '../acme/lib', 'acme/..']) {
      expect(await repos.addRepo({ projectId: PROJECT, repo: bad, userToken: alice })).toMatchObject({
        ok: false,
        code: 'invalid_request',
      });
    }
  });

  it('suggests same-owner submodules from the primary repository .gitmodules', async () => {
    await bindApp();
    const r = await repos.suggest({ projectId: PROJECT, userToken: alice });
    expect(r).toEqual({ ok: true, value: ['acme/lib', 'acme/tools'] });
    await repos.addRepo({ projectId: PROJECT, repo: 'acme/lib', userToken: alice });
    expect(await repos.suggest({ projectId: PROJECT, userToken: alice })).toEqual({
      ok: true,
      value: ['acme/tools'],
    });
  });

  it("mints a token whose repository set is exactly the project's set", async () => {
    await bindApp();
    await repos.addRepo({ projectId: PROJECT, repo: 'acme/lib', userToken: alice });
    await repos.addRepo({ projectId: PROJECT, repo: 'acme/tools', userToken: alice }); // refused
    const binding = (await store.get(PROJECT))!;
    const token = await mintGitToken(world.app, {
      installationId: binding.installationId,
      repositoryIds: binding.repos.map((r) => r.repoId),
    });
    expect(token.repositoryIds).toEqual([WORLD.repos.app, WORLD.repos.lib]);
    const minted = world.fake.installationToken(token.token)!;
    expect(minted.repositoryIds!.sort((a, b) => a - b)).toEqual([WORLD.repos.app, WORLD.repos.lib]);
    expect(minted.permissions).toEqual({ contents: 'write' });
    // What GitHub grants is what Warren asked for: the installation's third repository stays out of reach.
    const res = await fetch(`${world.fake.url}/repos/acme/secret`, {
      headers: { authorization: `bearer ${token.token}` },
    });
    expect(res.status).toBe(404);
  });
});
