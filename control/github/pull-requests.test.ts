// Pull requests through the App's real octokit clients against the fake GitHub's documented wire shapes.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { GitHubError } from './github-client.ts';
import { openPullRequest, updatePullRequest } from './pull-requests.ts';
import { type GitHubWorld, startGitHubWorld, WORLD } from './testing/index.ts';

let world: GitHubWorld;
beforeAll(() => {
  world = startGitHubWorld();
});
afterAll(() => world.stop());

const app = { installationId: WORLD.installationId, repoId: WORLD.repos.app, fullName: 'acme/app' };

async function refusal(p: Promise<unknown>): Promise<GitHubError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GitHubError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('Pull requests', () => {
  it('opens one for a branch with a token that sees exactly that repository, then updates the same one', async () => {
    const before = world.fake.minted.length;
    const pr = await openPullRequest(world.app, app, {
      head: 'warren/task-a',
      base: 'main',
      title: 'Fix the build',
      body: 'first summary',
    });
    expect(pr).toEqual({ number: 1, url: 'https://github.com/acme/app/pull/1' });
    const minted = world.fake.minted.slice(before);
    expect(minted).toHaveLength(1);
    expect(minted[0]).toMatchObject({
      repositoryIds: [WORLD.repos.app],
      permissions: { pull_requests: 'write' },
    });
    expect(world.fake.pulls.at(-1)).toMatchObject({
      repoId: WORLD.repos.app,
      head: 'warren/task-a',
      base: 'main',
      title: 'Fix the build',
      body: 'first summary',
    });

    const again = await updatePullRequest(world.app, app, pr.number, { body: 'second summary' });
    expect(again).toEqual(pr);
    expect(world.fake.pulls.filter((p) => p.head === 'warren/task-a')).toHaveLength(1);
    expect(world.fake.pulls.at(-1)).toMatchObject({ body: 'second summary', updates: 1 });
  });

  it('is refused a second open pull request for the same branch (GitHub answers 422)', async () => {
    const input = { head: 'warren/task-b', base: 'main', title: 't', body: 'b' };
    await openPullRequest(world.app, app, input);
    const e = await refusal(openPullRequest(world.app, app, input));
    expect(e.status).toBe(422);
    expect(e.code).toBe('github_rejected');
  });

  it('is refused for a branch the repository does not have (GitHub answers 422)', async () => {
    world.fake.branchExists = (_repo, ref) => ref === 'main';
    try {
      const e = await refusal(
        openPullRequest(world.app, app, {
          head: 'warren/task-never-pushed',
          base: 'main',
          title: 't',
          body: 'b',
        }),
      );
      expect(e.status).toBe(422);
      expect(world.fake.pulls.some((p) => p.head === 'warren/task-never-pushed')).toBe(false);
    } finally {
      world.fake.branchExists = undefined;
    }
  });

  it('cannot open one on a repository outside the installation', async () => {
    const e = await refusal(
      openPullRequest(
        world.app,
        { ...app, repoId: WORLD.repos.tools, fullName: 'acme/tools' },
        { head: 'x', base: 'main', title: 't', body: 'b' },
      ),
    );
    expect(e.status).toBe(422);
    expect(world.fake.pulls.some((p) => p.repoId === WORLD.repos.tools)).toBe(false);
  });
});
