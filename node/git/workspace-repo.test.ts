// A task workspace's repository with real git: cloned once, changes committed on the task's branch and pushed
// to the origin, a follow-up's changes pushed on top of the same branch, an unchanged tree left alone.
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBareRepo, git, isolatedGitEnv } from './testing/index.ts';
import { createWorkspaceRepo, type WorkspaceLaunch } from './workspace-repo.ts';

const work = mkdtempSync(join(tmpdir(), 'warren-repo-'));
const home = join(work, 'home');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs in `home` with git's config kept out, as a workspace's own process would. */
const launch: WorkspaceLaunch = (argv) => ({
  proc: Bun.spawn(argv, { cwd: home, env: isolatedGitEnv(), stdout: 'pipe', stderr: 'pipe' }),
});
const W = 'ws00000000000000000001';

describe('A workspace repository', () => {
  const bare = createBareRepo(join(work, 'served'), 'app', { 'README.md': '# app\n' }, join(work, 'src'));
  const repo = createWorkspaceRepo({ shell: '/bin/sh' });
  const branch = 'warren/task-t1';
  const checkout = join(home, 'app');
  const tip = () => git(['rev-parse', `refs/heads/${branch}`], { cwd: bare.path }).trim();

  it('clones once; a second clone keeps the checkout', async () => {
    Bun.spawnSync(['mkdir', '-p', home]);
    expect(await repo.clone(W, launch, { url: bare.path, dir: 'app' })).toBe(true);
    writeFileSync(join(checkout, 'scratch.txt'), 'kept\n');
    expect(await repo.clone(W, launch, { url: bare.path, dir: 'app' })).toBe(true);
    expect(git(['status', '--porcelain'], { cwd: checkout })).toContain('scratch.txt');
    rmSync(join(checkout, 'scratch.txt'));
  });

  it('publishes nothing when the tree did not change', async () => {
    expect(await repo.publish(W, launch, { dir: 'app', branch, message: 'nothing' })).toBeUndefined();
    expect(git(['branch', '--list', branch], { cwd: bare.path }).trim()).toBe('');
  });

  it("commits a change on the task's branch and pushes it, naming the branch it started from", async () => {
    writeFileSync(join(checkout, 'README.md'), '# app, fixed\n');
    const r = await repo.publish(W, launch, { dir: 'app', branch, message: 'Fix the readme' });
    expect(r).toEqual({ branch, commit: tip(), base: 'main' });
    expect(git(['show', `${branch}:README.md`], { cwd: bare.path })).toBe('# app, fixed\n');
    expect(git(['log', '-1', '--format=%s', branch], { cwd: bare.path }).trim()).toBe('Fix the readme');
    expect(git(['rev-parse', 'refs/heads/main'], { cwd: bare.path }).trim()).toBe(bare.commit);
  });

  it('pushes a follow-up on top of the same branch', async () => {
    const first = tip();
    writeFileSync(join(checkout, 'NOTES.md'), 'more\n');
    const r = await repo.publish(W, launch, { dir: 'app', branch, message: 'And notes' });
    expect(r).toEqual({ branch, commit: tip() });
    expect(git(['rev-parse', `${branch}~1`], { cwd: bare.path }).trim()).toBe(first);
  });

  it("throws with git's words when the push is refused", async () => {
    rmSync(bare.path, { recursive: true, force: true });
    writeFileSync(join(checkout, 'NOTES.md'), 'even more\n');
    await expect(repo.publish(W, launch, { dir: 'app', branch, message: 'lost' })).rejects.toThrow(
      /could not be committed and pushed/,
    );
  });
});
