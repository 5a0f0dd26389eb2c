// Tests of the git token exchange: the authorization truth table and minting against the fake GitHub.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { DesiredState, WorkspaceStatus } from '../../contract/index.ts';
import { WORKSPACE_STATUSES } from '../../contract/index.ts';
import {
  authorizeGitTokenRequest,
  createGitTokenIssuer,
  type GitTokenWorkspace,
  mintGitToken,
} from './git-token.ts';
import { type GitHubWorld, MemoryProjectRepoStore, startGitHubWorld, WORLD } from './testing/index.ts';

const NODE_A = 'nd0000000000000000000a';
const NODE_B = 'nd0000000000000000000b';
const PROJECT = 'pj00000000000000000001';

const ws = (over: Partial<GitTokenWorkspace> = {}): GitTokenWorkspace => ({
  id: 'ws00000000000000000001',
  projectId: PROJECT,
  nodeId: NODE_A,
  status: 'running',
  desiredState: 'running',
  ...over,
});

let world: GitHubWorld;
beforeAll(() => {
  world = startGitHubWorld();
});
afterAll(() => world.stop());

describe('Git token authorization', () => {
  it('allows only the node the workspace is placed on, while the workspace starts or runs (degraded too)', () => {
    const allowed: [WorkspaceStatus, DesiredState, string | null, string, boolean][] = [];
    for (const status of WORKSPACE_STATUSES) {
      for (const desired of ['running', 'stopped', 'deleted'] as const) {
        for (const placed of [NODE_A, null]) {
          for (const caller of [NODE_A, NODE_B]) {
            const r = authorizeGitTokenRequest(ws({ status, desiredState: desired, nodeId: placed }), caller);
            if (r.ok) allowed.push([status, desired, placed, caller, true]);
            else expect(r).toMatchObject({ code: 'not_found' });
          }
        }
      }
    }
    expect(allowed).toEqual([
      ['starting', 'running', NODE_A, NODE_A, true],
      ['running', 'running', NODE_A, NODE_A, true],
      ['degraded', 'running', NODE_A, NODE_A, true],
    ]);
    expect(authorizeGitTokenRequest(undefined, NODE_A)).toMatchObject({ ok: false, code: 'not_found' });
  });
});

describe('Git token issuer', () => {
  async function issuer(workspace: GitTokenWorkspace | undefined) {
    const projectRepos = new MemoryProjectRepoStore();
    await projectRepos.bind(PROJECT, WORLD.installationId, {
      repoId: WORLD.repos.app,
      fullName: 'acme/app',
      role: 'primary',
    });
    await projectRepos.addRepo(PROJECT, {
      repoId: WORLD.repos.lib,
      fullName: 'acme/lib',
      role: 'additional',
    });
    return createGitTokenIssuer({
      app: world.app,
      workspaces: { get: async (id) => (workspace && workspace.id === id ? workspace : undefined) },
      projectRepos,
    });
  }

  it('mints for the right node a token limited to the project repositories, contents write', async () => {
    const before = world.fake.minted.length;
    const r = await (await issuer(ws())).issue('ws00000000000000000001', NODE_A);
    if (!r.ok) throw new Error(r.message);
    expect(r.value.repositoryIds).toEqual([WORLD.repos.app, WORLD.repos.lib]);
    expect(Date.parse(r.value.expiresAt)).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(world.fake.minted.length).toBe(before + 1);
    expect(world.fake.minted.at(-1)).toMatchObject({
      token: r.value.token,
      installationId: WORLD.installationId,
      permissions: { contents: 'write' },
    });
  });

  it('mints nothing for the wrong node, an unknown workspace, or a stopped one', async () => {
    const before = world.fake.minted.length;
    const cases = [
      { w: ws(), id: 'ws00000000000000000001', node: NODE_B },
      { w: undefined, id: 'ws00000000000000000001', node: NODE_A },
      { w: ws(), id: 'ws00000000000000000009', node: NODE_A },
      { w: ws({ status: 'stopped', desiredState: 'stopped' }), id: 'ws00000000000000000001', node: NODE_A },
      { w: ws({ status: 'running', desiredState: 'stopped' }), id: 'ws00000000000000000001', node: NODE_A },
    ];
    for (const c of cases) {
      const r = await (await issuer(c.w)).issue(c.id, c.node);
      expect(r).toMatchObject({ ok: false, code: 'not_found' });
    }
    expect(world.fake.minted.length).toBe(before);
  });

  it('reports a repository dropped from the installation as a conflict, not a token', async () => {
    const installation = world.fake.installations.get(WORLD.installationId)!;
    const before = [...installation.repoIds];
    installation.repoIds = installation.repoIds.filter((id) => id !== WORLD.repos.lib);
    try {
      const r = await (await issuer(ws())).issue('ws00000000000000000001', NODE_A);
      expect(r).toMatchObject({ ok: false, code: 'conflict' });
    } finally {
      installation.repoIds = before;
    }
  });

  it('refuses an empty repository set rather than minting an installation-wide token', async () => {
    await expect(
      mintGitToken(world.app, { installationId: WORLD.installationId, repositoryIds: [] }),
    ).rejects.toThrow();
  });

  it('refuses a token GitHub widened beyond the requested repositories', async () => {
    world.fake.widenTokens = true;
    try {
      await expect(
        mintGitToken(world.app, { installationId: WORLD.installationId, repositoryIds: [WORLD.repos.app] }),
      ).rejects.toMatchObject({ code: 'github_bad_response' });
    } finally {
      world.fake.widenTokens = false;
    }
  });

  it('reports GitHub refusing a repository outside the installation as a bad gateway', async () => {
    await expect(
      mintGitToken(world.app, { installationId: WORLD.installationId, repositoryIds: [WORLD.repos.tools] }),
    ).rejects.toMatchObject({ code: 'github_rejected', status: 422 });
  });
});
