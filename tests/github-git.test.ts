// GitHub end to end: a real control plane (FakeGitHub behind it), a real node process, a git http-backend that
// demands the installation token; a workspace's own process clones through the node's credential helper.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type GitHubWorld,
  signInWithGitHub,
  startGitHubWorld,
  startTestControl,
  type TestControl,
  WORLD,
} from '../control/testing/index.ts';
import {
  createBareRepo,
  ECHO_APP,
  eventually,
  type GitHttpServer,
  tempDataDir,
} from '../node/testing/index.ts';
import { sandboxAvailable } from './sandbox-harness.ts';
import { NODE_READY, type ServedGit, startServedGit, startWarren } from './testing/index.ts';

/** Where the node can, its workspaces run sandboxed (the git server is then reached through a namespace). */
const SANDBOXED = sandboxAvailable;
/** The base URL workspaces clone from. */
let repoBase = '';
let served: ServedGit;
let world: GitHubWorld;
let control: TestControl;
let controlStopped = false;
let gitServer: GitHttpServer;
let nodeProc: ReturnType<typeof Bun.spawn> | undefined;
let node: { nodeId: string; url: string };
let alice: { cookie: string };
let projectId: string;
const nodeData = tempDataDir();
const work = mkdtempSync(join(tmpdir(), 'warren-gh-e2e-'));

beforeAll(async () => {
  world = startGitHubWorld();
  control = await startTestControl({ github: world.config, config: { heartbeatIntervalMs: 300 } });
  // The git server stands in for github.com: it serves a repository to a live FakeGitHub token covering it.
  mkdirServed();
  served = await startServedGit({
    root: join(work, 'served'),
    accepts: (password, repo) =>
      SERVED[repo] !== undefined &&
      (world.fake.installationToken(password)?.repositoryIds?.includes(SERVED[repo]) ?? false),
    ...(SANDBOXED ? { namespace: { name: 'wrngit', block: 1 } } : {}),
  });
  gitServer = served.server;
  repoBase = served.base;

  // alice signs in with GitHub, the App's installation is recorded, her project is bound to acme/app + acme/lib.
  const signed = await signInWithGitHub(control.url, world.fake, WORLD.alice);
  alice = { cookie: `warren_session=${signed.session}` };
  const api = control.clientWith();
  const setup = await fetch(
    `${control.url}/api/v1/github/setup?installation_id=${WORLD.installationId}&setup_action=install`,
    { headers: { cookie: alice.cookie }, redirect: 'manual' },
  );
  expect(setup.status).toBe(302);
  const project = await api.POST('/api/v1/projects', {
    body: { name: 'app' },
    headers: { cookie: alice.cookie },
  });
  projectId = project.data!.id;
  const path = { params: { path: { id: projectId } }, headers: { cookie: alice.cookie } };
  expect(
    (
      await api.PUT('/api/v1/projects/{id}/repositories/primary', {
        ...path,
        body: { installationId: WORLD.installationId, repo: 'acme/app' },
      })
    ).response.status,
  ).toBe(200);
  expect(
    (await api.POST('/api/v1/projects/{id}/repositories', { ...path, body: { repo: 'acme/lib' } })).response
      .status,
  ).toBe(200);

  // A real node process joins; its credential helper may hand tokens to the local git server only.
  const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
  const started = await startWarren<{ nodeId: string; url: string }, 'inherit'>(
    [
      'node',
      'join',
      '--control',
      control.url,
      '--join-token',
      jt.data!.token,
      '--data',
      nodeData,
      '--listen',
      '127.0.0.1:0',
      '--name',
      'git-e2e',
      '--runtime',
      SANDBOXED ? 'sandbox' : 'process',
    ],
    NODE_READY,
    'the node to join',
    { stderr: 'inherit', env: { WARREN_GIT_ALLOWED_ORIGINS: repoBase } },
  );
  nodeProc = started.proc;
  node = started.ready;
}, 60_000);

afterAll(async () => {
  nodeProc?.kill('SIGTERM');
  await nodeProc?.exited;
  if (!controlStopped) await control.stop();
  await served.stop();
  await world.stop();
  rmSync(nodeData, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/** acme/app with acme/lib as a submodule (a relative URL, as same-organisation submodules often are). */
function mkdirServed() {
  const served = join(work, 'served');
  const lib = createBareRepo(served, 'lib', { 'LIB.md': 'acme/lib\n' }, join(work, 'src'));
  createBareRepo(served, 'app', { 'README.md': '# acme/app\n' }, join(work, 'src'), [
    { path: 'lib', url: '../lib.git', commit: lib.commit },
  ]);
}

/** The repository ids the git server stands for, by name. */
const SERVED: Record<string, number> = { app: WORLD.repos.app, lib: WORLD.repos.lib };

/**
 * The workspace's app: clones the repository through git's credential helper, then serves the echo app;
 * a background loop clones again whenever the file `again` appears (so the test can ask for a clone later).
 */
const CLONE_APP = `clone() { git clone --recurse-submodules "$REPO" "$1" > "$1.log" 2>&1; echo $? > "$1.done"; }
clone first
( while :; do if [ -f again ]; then rm -f again; clone second; fi; sleep 0.1; done ) &
exec ${process.execPath} ${ECHO_APP}`;

async function createWorkspace(name: string, project = projectId) {
  const ws = await control.clientWith().POST('/api/v1/workspaces', {
    body: {
      name,
      projectId: project,
      nodeId: node.nodeId,
      appCommand: CLONE_APP,
      env: { REPO: `${repoBase}/app.git` },
    },
    headers: { cookie: alice.cookie },
  });
  expect(ws.response.status).toBe(200);
  return { id: ws.data!.id, dir: join(nodeData, 'workspaces', ws.data!.id) };
}

/** Waits for `<dir>/<name>.done` and returns git's exit code and its output. */
async function cloneResult(dir: string, name: string) {
  const done = join(dir, `${name}.done`);
  await eventually(
    () => existsSync(done) && readFileSync(done, 'utf8').trim() !== '',
    `clone ${name}`,
    30_000,
  );
  return {
    code: Number(readFileSync(done, 'utf8').trim()),
    log: readFileSync(join(dir, `${name}.log`), 'utf8'),
  };
}

/** Every file under `dir`, read as text, for "the token is nowhere on disk". */
function allText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) out += allText(p);
    else if (s.size < 1_000_000) out += readFileSync(p, 'latin1');
  }
  return out;
}

describe('GitHub through the node', () => {
  it("clones in a workspace's own process with a token that sees exactly the project's repositories", async () => {
    const before = world.fake.minted.length;
    const w1 = await createWorkspace('w1');
    const first = await cloneResult(w1.dir, 'first');
    expect(first.log).not.toContain('ghs_');
    expect(first.code).toBe(0);
    expect(readFileSync(join(w1.dir, 'first', 'README.md'), 'utf8')).toBe('# acme/app\n');
    // The submodule came through the same token: acme/lib is in the project's set.
    expect(readFileSync(join(w1.dir, 'first', 'lib', 'LIB.md'), 'utf8')).toBe('acme/lib\n');
    const minted = world.fake.minted.slice(before).filter((t) => t.permissions.contents === 'write');
    expect(minted).toHaveLength(1);
    expect(minted[0]!.repositoryIds?.toSorted()).toEqual([WORLD.repos.app, WORLD.repos.lib]);
    // git presented that token to the server, and it is written nowhere: not .git/config, not any file.
    expect(gitServer.passwords).toContain(minted[0]!.token);
    expect(readFileSync(join(w1.dir, 'first', '.git', 'config'), 'utf8')).not.toContain(minted[0]!.token);
    expect(allText(w1.dir)).not.toContain(minted[0]!.token);
  }, 60_000);

  it("fails the submodule of a project whose set lacks it: the token is not wider than the project's set", async () => {
    const api = control.clientWith();
    const headers = { cookie: alice.cookie };
    const narrow = (await api.POST('/api/v1/projects', { body: { name: 'narrow' }, headers })).data!.id;
    await api.PUT('/api/v1/projects/{id}/repositories/primary', {
      params: { path: { id: narrow } },
      headers,
      body: { installationId: WORLD.installationId, repo: 'acme/app' },
    });
    const w = await createWorkspace('narrow', narrow);
    const first = await cloneResult(w.dir, 'first');
    expect(first.code).not.toBe(0);
    expect(existsSync(join(w.dir, 'first', 'README.md'))).toBe(true);
    expect(existsSync(join(w.dir, 'first', 'lib', 'LIB.md'))).toBe(false);
  }, 60_000);

  it('serves a second workspace on the same node too', async () => {
    const w2 = await createWorkspace('w2');
    const first = await cloneResult(w2.dir, 'first');
    expect(first.code).toBe(0);
    expect(existsSync(join(w2.dir, 'first', 'README.md'))).toBe(true);
  }, 60_000);

  it('keeps serving the cached token with the control plane down', async () => {
    const w3 = await createWorkspace('w3');
    expect((await cloneResult(w3.dir, 'first')).code).toBe(0);
    const minted = world.fake.minted.length;
    await control.stop();
    controlStopped = true;
    expect((await fetch(`${control.url}/health`).catch(() => null))?.ok ?? false).toBe(false);
    writeFileSync(join(w3.dir, 'again'), '');
    const second = await cloneResult(w3.dir, 'second');
    expect(second.code).toBe(0);
    expect(existsSync(join(w3.dir, 'second', 'README.md'))).toBe(true);
    expect(world.fake.minted.length).toBe(minted);
  }, 60_000);
});
