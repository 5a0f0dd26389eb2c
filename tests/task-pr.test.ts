// Tasks end to end: a task on a project whose repository a `git http-backend` serves gets a workspace made for it,
// whose node clones the repository through the workspace's credential socket; the fixture agent edits a file, the
// node commits and pushes `warren/task-<id>`, and the control plane opens the pull request on the FakeGitHub through
// the App's real octokit client. Follow-ups continue the branch and update the same pull request; an idle task
// workspace is stopped and started again by a follow-up; a task never lands on a workspace whose agent failed.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { git } from '../node/git/testing/index.ts';
import {
  AgentSocketClient,
  createBareRepo,
  eventually,
  FIXTURE_AGENT,
  tempDataDir,
} from '../node/testing/index.ts';
import type { ControlClient } from '../openapi/client/index.ts';
import { sandboxAvailable } from './sandbox-harness.ts';
import { NODE_READY, type ServedGit, startServedGit, startWarren } from './testing/index.ts';

/** A task workspace with no turn for this long is stopped (short, so a test sees it). */
const IDLE_STOP_MS = 2_000;
const work = mkdtempSync(join(tmpdir(), 'warren-task-pr-'));
const served = join(work, 'served');
const nodeData = tempDataDir();
/** The repositories the git server stands for, by path. */
const SERVED: Record<string, number> = { 'acme/app': WORLD.repos.app, 'acme/lib': WORLD.repos.lib };

let world: GitHubWorld;
let gitServer: ServedGit;
let control: TestControl;
let api: ControlClient;
let nodeProc: ReturnType<typeof Bun.spawn> | undefined;
let nodeUrl = '';
let projectId: string;
const headers = { cookie: '' };
const sockets: AgentSocketClient[] = [];

type Task = {
  id: string;
  status: string;
  workspaceId: string | null;
  branch: string | null;
  commit: string | null;
  pullRequestUrl: string | null;
  summary: string | null;
};

beforeAll(async () => {
  world = startGitHubWorld();
  // acme/app with acme/lib as a submodule (a relative URL, as same-organisation submodules often are).
  const lib = createBareRepo(join(served, 'acme'), 'lib', { 'LIB.md': 'acme/lib\n' }, join(work, 'src'));
  createBareRepo(join(served, 'acme'), 'app', { 'README.md': '# acme/app\n' }, join(work, 'src'), [
    { path: 'lib', url: '../lib.git', commit: lib.commit },
  ]);
  gitServer = await startServedGit({
    root: served,
    // The token must cover the repository: a token minted for another set is refused, as GitHub would.
    accepts: (password, repo) =>
      SERVED[repo] !== undefined &&
      (world.fake.installationToken(password)?.repositoryIds?.includes(SERVED[repo]) ?? false),
    ...(sandboxAvailable ? { namespace: { name: 'wrntask', block: 3 } } : {}),
  });
  world.config.gitBaseUrl = gitServer.base;
  control = await startTestControl({
    github: world.config,
    config: {
      heartbeatIntervalMs: 300,
      taskSweepMs: 150,
      taskWorkspaces: { idleStopMs: IDLE_STOP_MS, retentionMs: 3_600_000 },
    },
  });
  api = control.clientWith();

  // alice signs in with GitHub; her project's defaults name the agent; its repositories are acme/app and acme/lib.
  const signed = await signInWithGitHub(control.url, world.fake, WORLD.alice);
  headers.cookie = `warren_session=${signed.session}`;
  const setup = await fetch(
    `${control.url}/api/v1/github/setup?installation_id=${WORLD.installationId}&setup_action=install`,
    { headers, redirect: 'manual' },
  );
  expect(setup.status).toBe(302);
  const project = await api.POST('/api/v1/projects', {
    body: { name: 'tasks', agentCommand: `exec ${process.execPath} ${FIXTURE_AGENT}` },
    headers,
  });
  projectId = project.data!.id;
  const path = { params: { path: { id: projectId } }, headers };
  await api.PUT('/api/v1/projects/{id}/repositories/primary', {
    ...path,
    body: { installationId: WORLD.installationId, repo: 'acme/app' },
  });
  await api.POST('/api/v1/projects/{id}/repositories', { ...path, body: { repo: 'acme/lib' } });

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
      'task-pr',
      '--runtime',
      sandboxAvailable ? 'sandbox' : 'process',
    ],
    NODE_READY,
    'the node to join',
    { stderr: 'inherit', env: { WARREN_GIT_ALLOWED_ORIGINS: gitServer.base }, timeoutMs: 30_000 },
  );
  nodeProc = started.proc;
  nodeUrl = started.ready.url;
}, 90_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  nodeProc?.kill('SIGTERM');
  await nodeProc?.exited;
  await control.stop();
  await gitServer.stop();
  await world.stop();
  rmSync(nodeData, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

async function submit(prompt: string): Promise<Task> {
  const r = await api.POST('/api/v1/tasks', { body: { projectId, prompt }, headers });
  expect(r.response.status).toBe(200);
  return r.data as Task;
}

async function task(id: string): Promise<Task> {
  return (await api.GET('/api/v1/tasks/{id}', { params: { path: { id } }, headers })).data as Task;
}

async function workspace(id: string) {
  return (await api.GET('/api/v1/workspaces/{id}', { params: { path: { id } }, headers })).data!;
}

/** Waits until the task ended and answers it; it must have `status`. */
async function ended(id: string, status = 'completed', timeoutMs = 60_000): Promise<Task> {
  let last: Task | undefined;
  await eventually(
    async () => {
      last = await task(id);
      return ['completed', 'failed', 'cancelled'].includes(last.status);
    },
    `task ${id} to end`,
    timeoutMs,
  );
  if (last?.status !== status) throw new Error(`task ended ${last?.status}: ${JSON.stringify(last)}`);
  return last;
}

/** The served repository's view of a ref (empty when it does not exist). */
const servedRef = (ref: string) =>
  Bun.spawnSync(['git', 'rev-parse', '--verify', '-q', ref], { cwd: join(served, 'acme', 'app.git') })
    .stdout.toString()
    .trim();

const pullsFor = (head: string) =>
  world.fake.pulls.filter((p) => p.head === head && p.repoId === WORLD.repos.app);

describe('A task on a GitHub project', () => {
  let first: Task;

  it('gets a workspace of its own, edits a file, pushes its branch and ends with its pull request', async () => {
    const submitted = await submit('/edit NOTES.md hello from the agent');
    first = await ended(submitted.id);
    const branch = `warren/task-${first.id}`;
    expect(first.branch).toBe(branch);
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(first.pullRequestUrl).toMatch(/^https:\/\/github\.com\/acme\/app\/pull\/\d+$/);

    // A workspace was made for it from the project's defaults, its repository cloned with its submodule.
    const ws = await workspace(first.workspaceId!);
    expect(ws).toMatchObject({ taskId: first.id, name: `task-${first.id}`, projectId });
    const home = join(nodeData, 'workspaces', ws.id);
    expect(readFileSync(join(home, 'app', 'lib', 'LIB.md'), 'utf8')).toBe('acme/lib\n');

    // The branch with that commit is on the git server, holding the agent's edit; main is untouched.
    expect(servedRef(`refs/heads/${branch}`)).toBe(first.commit!);
    expect(git(['show', `${branch}:NOTES.md`], { cwd: join(served, 'acme', 'app.git') })).toBe(
      'hello from the agent\n',
    );
    expect(git(['log', '-1', '--format=%s', branch], { cwd: join(served, 'acme', 'app.git') }).trim()).toBe(
      '/edit NOTES.md hello from the agent',
    );

    // Exactly one pull request, on exactly acme/app, from the branch into main, linking back to the task.
    const pulls = pullsFor(branch);
    expect(pulls).toHaveLength(1);
    expect(world.fake.pulls.filter((p) => p.head === branch)).toHaveLength(1);
    expect(pulls[0]).toMatchObject({
      base: 'main',
      title: '/edit NOTES.md hello from the agent',
      state: 'open',
    });
    expect(pulls[0]!.body).toContain('edited NOTES.md');
    expect(pulls[0]!.body).toContain(`/tasks/${first.id}`);
    expect(first.pullRequestUrl).toBe(`https://github.com/acme/app/pull/${pulls[0]!.number}`);

    // No token was written into the checkout's configuration.
    const config = readFileSync(join(home, 'app', '.git', 'config'), 'utf8');
    for (const t of world.fake.minted) expect(config).not.toContain(t.token);
  }, 120_000);

  it('is stopped when idle; a follow-up starts it again, continues the branch and updates the same pull request', async () => {
    const branch = first.branch!;
    const wsId = first.workspaceId!;
    await eventually(
      async () => (await workspace(wsId)).status === 'stopped',
      'the idle task workspace to stop',
      30_000,
    );

    const m = await api.POST('/api/v1/tasks/{id}/messages', {
      params: { path: { id: first.id } },
      body: { text: '/edit NOTES.md and a second line' },
      headers,
    });
    expect(m.response.status).toBe(200);
    const second = await ended(first.id);
    expect(second.workspaceId).toBe(wsId);
    expect(second.branch).toBe(branch);
    expect(second.pullRequestUrl).toBe(first.pullRequestUrl);
    expect(second.commit).not.toBe(first.commit);
    expect(servedRef(`refs/heads/${branch}`)).toBe(second.commit!);
    expect(servedRef(`refs/heads/${branch}~1`)).toBe(first.commit!);
    const pulls = pullsFor(branch);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.updates).toBe(1);

    // The transcript continued across the stop: both turns are in the workspace's one transcript.
    const token = await api.POST('/api/v1/workspaces/{id}/tokens', {
      params: { path: { id: wsId } },
      body: { scopes: ['agent'] },
      headers,
    });
    const socket = await AgentSocketClient.connect(
      `${nodeUrl.replace('http', 'ws')}/w/${wsId}/_agent?token=${encodeURIComponent(token.data!.token)}&afterSeq=0`,
    );
    sockets.push(socket);
    await socket.waitFor(
      (c) =>
        c.events().some((e) => e.data.kind === 'prompt' && e.data.text.includes('hello from the agent')) &&
        c.events().some((e) => e.data.kind === 'prompt' && e.data.text.includes('a second line')),
      'both turns in the transcript',
    );
  }, 120_000);

  it('is cancelled with its agent stopped and its branch left as it was', async () => {
    const before = servedRef(`refs/heads/${first.branch}`);
    await api.POST('/api/v1/tasks/{id}/messages', {
      params: { path: { id: first.id } },
      body: { text: `/slow 200 ${Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')}` },
      headers,
    });
    await eventually(async () => (await task(first.id)).status === 'running', 'the follow-up to run', 60_000);
    const cancelled = await api.POST('/api/v1/tasks/{id}/cancel', {
      params: { path: { id: first.id } },
      headers,
    });
    expect(cancelled.data!.status).toBe('cancelled');
    await eventually(
      async () => (await workspace(first.workspaceId!)).agentState === 'stopped',
      'the agent to stop',
      15_000,
    );
    expect(servedRef(`refs/heads/${first.branch}`)).toBe(before);
    expect((await task(first.id)).status).toBe('cancelled');
  }, 120_000);

  it('never lands on a workspace whose agent failed', async () => {
    const broken = await api.POST('/api/v1/workspaces', {
      body: { name: 'broken', projectId, agentCommand: 'echo no agent here >&2; exit 3' },
      headers,
    });
    expect(broken.response.status).toBe(200);
    await eventually(
      async () => (await workspace(broken.data!.id)).agentState === 'failed',
      'the broken agent to fail',
      30_000,
    );
    const t = await ended((await submit('/edit OTHER.md elsewhere')).id);
    expect(t.workspaceId).not.toBe(broken.data!.id);
    expect((await workspace(t.workspaceId!)).taskId).toBe(t.id);
    expect(servedRef(`refs/heads/warren/task-${t.id}`)).toBe(t.commit!);
  }, 120_000);

  it('runs on an idle workspace whose agent is ready; an unchanged tree opens no pull request', async () => {
    const idle = await api.POST('/api/v1/workspaces', {
      body: { name: 'idle', projectId },
      headers,
    });
    await eventually(
      async () => (await workspace(idle.data!.id)).agentState === 'ready',
      'the idle workspace agent to be ready',
      30_000,
    );
    const pullsBefore = world.fake.pulls.length;
    const t = await ended((await submit('just say hello')).id);
    expect(t.workspaceId).toBe(idle.data!.id);
    expect(t).toMatchObject({ branch: null, commit: null, pullRequestUrl: null });
    expect(t.summary).toContain('echo: just say hello');
    expect(world.fake.pulls.length).toBe(pullsBefore);
    expect(existsSync(join(nodeData, 'workspaces', idle.data!.id, 'app'))).toBe(false);
  }, 120_000);
});
