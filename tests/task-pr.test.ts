// Tasks end to end: a task on a project whose repository a `git http-backend` serves gets a workspace made for it,
// whose node clones the repository through the workspace's credential socket; the fixture agent edits a file, the
// node commits and pushes `warren/task-<id>`, and the control plane opens the pull request on the FakeGitHub through
// the App's real octokit client. Follow-ups continue the branch and update the same pull request; an idle task
// workspace is stopped and started again by a follow-up; a task never lands on a workspace whose agent failed.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORLD } from '../control/testing/index.ts';
import { AgentSocketClient, eventually, git } from '../node/testing/index.ts';
import { sandboxAvailable } from './sandbox-harness.ts';
import { startTaskWorld, type TaskWorld } from './testing/index.ts';

/** A task workspace with no turn for this long is stopped (short, so a test sees it). */
const IDLE_STOP_MS = 2_000;

let w: TaskWorld;
let nodeUrl = '';
let nodeData = '';
const sockets: AgentSocketClient[] = [];

beforeAll(async () => {
  w = await startTaskWorld({
    ...(sandboxAvailable ? { namespace: { name: 'wrntask', block: 3 } } : {}),
    config: { taskWorkspaces: { idleStopMs: IDLE_STOP_MS, retentionMs: 3_600_000 } },
  });
  const node = await w.joinNode('task-pr', sandboxAvailable ? 'sandbox' : 'process');
  nodeUrl = node.url;
  nodeData = node.dataDir;
}, 90_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await w.stop();
});

const headers = () => w.headers;
const submit = (prompt: string) => w.submit(prompt);
const task = (id: string) => w.task(id);
const ended = (id: string, status?: string) => w.ended(id, status);
/** The workspace's agent socket as its owner, replaying its whole transcript. */
async function agentSocket(workspaceId: string) {
  const token = await w.api.POST('/api/v1/workspaces/{id}/tokens', {
    params: { path: { id: workspaceId } },
    body: { scopes: ['agent'] },
    headers: headers(),
  });
  const socket = await AgentSocketClient.connect(
    `${nodeUrl.replace('http', 'ws')}/w/${workspaceId}/_agent?token=${encodeURIComponent(token.data!.token)}&afterSeq=0`,
  );
  sockets.push(socket);
  return socket;
}

async function workspace(id: string) {
  return (await w.api.GET('/api/v1/workspaces/{id}', { params: { path: { id } }, headers: headers() })).data!;
}

/** The served repository's view of a ref (empty when it does not exist). */
const servedRef = (ref: string) =>
  Bun.spawnSync(['git', 'rev-parse', '--verify', '-q', ref], { cwd: join(w.served, 'acme', 'app.git') })
    .stdout.toString()
    .trim();

const pullsFor = (head: string) =>
  w.world.fake.pulls.filter((p) => p.head === head && p.repoId === WORLD.repos.app);

describe('A task on a GitHub project', () => {
  let first: Awaited<ReturnType<typeof ended>>;

  it('gets a workspace of its own, edits a file, pushes its branch and ends with its pull request', async () => {
    const submitted = await submit('/edit NOTES.md hello from the agent');
    first = await ended(submitted.id);
    const branch = `warren/task-${first.id}`;
    expect(first.branch).toBe(branch);
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(first.pullRequestUrl).toMatch(/^https:\/\/github\.com\/acme\/app\/pull\/\d+$/);

    // A workspace was made for it from the project's defaults, its repository cloned with its submodule.
    const ws = await workspace(first.workspaceId!);
    expect(ws).toMatchObject({ taskId: first.id, name: `task-${first.id}`, projectId: w.projectId });
    const home = join(nodeData, 'workspaces', ws.id);
    expect(readFileSync(join(home, 'app', 'lib', 'LIB.md'), 'utf8')).toBe('acme/lib\n');

    // The branch with that commit is on the git server, holding the agent's edit; main is untouched.
    expect(servedRef(`refs/heads/${branch}`)).toBe(first.commit!);
    expect(git(['show', `${branch}:NOTES.md`], { cwd: join(w.served, 'acme', 'app.git') })).toBe(
      'hello from the agent\n',
    );
    expect(git(['log', '-1', '--format=%s', branch], { cwd: join(w.served, 'acme', 'app.git') }).trim()).toBe(
      '/edit NOTES.md hello from the agent',
    );

    // Exactly one pull request, on exactly acme/app, from the branch into main, linking back to the task.
    const pulls = pullsFor(branch);
    expect(pulls).toHaveLength(1);
    expect(w.world.fake.pulls.filter((p) => p.head === branch)).toHaveLength(1);
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
    for (const t of w.world.fake.minted) expect(config).not.toContain(t.token);
  }, 120_000);

  it('is stopped when idle; a follow-up starts it again, continues the branch and updates the same pull request', async () => {
    const branch = first.branch!;
    const wsId = first.workspaceId!;
    await eventually(
      async () => (await workspace(wsId)).status === 'stopped',
      'the idle task workspace to stop',
      30_000,
    );

    const m = await w.api.POST('/api/v1/tasks/{id}/messages', {
      params: { path: { id: first.id } },
      body: { text: '/edit NOTES.md and a second line' },
      headers: headers(),
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
    const socket = await agentSocket(wsId);
    await socket.waitFor(
      (c) =>
        c.events().some((e) => e.data.kind === 'prompt' && e.data.text.includes('hello from the agent')) &&
        c.events().some((e) => e.data.kind === 'prompt' && e.data.text.includes('a second line')),
      'both turns in the transcript',
    );
  }, 120_000);

  it('is cancelled with its agent stopped mid-turn and its branch left as it was', async () => {
    const before = servedRef(`refs/heads/${first.branch}`);
    const slow = `/slow 200 ${Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')}`;
    await w.api.POST('/api/v1/tasks/{id}/messages', {
      params: { path: { id: first.id } },
      body: { text: slow },
      headers: headers(),
    });
    await eventually(async () => (await task(first.id)).status === 'running', 'the follow-up to run', 60_000);
    const cancelled = await w.api.POST('/api/v1/tasks/{id}/cancel', {
      params: { path: { id: first.id } },
      headers: headers(),
    });
    expect(cancelled.data!.status).toBe('cancelled');
    // The turn ended when its agent was stopped, long before its last word; a fresh agent is ready after.
    const socket = await agentSocket(first.workspaceId!);
    const ended = await socket.waitFor((c) => {
      const prompt = c.events().find((e) => e.data.kind === 'prompt' && e.data.text === slow);
      const id = prompt?.data.kind === 'prompt' ? prompt.data.promptId : undefined;
      return c
        .events()
        .find(
          (e) => (e.data.kind === 'turn_failed' || e.data.kind === 'turn_ended') && e.data.promptId === id,
        );
    }, 'the cancelled turn to end');
    expect(ended.data).toMatchObject({ kind: 'turn_failed', code: 'agent_unavailable' });
    const prompt = socket.events().find((e) => e.data.kind === 'prompt' && e.data.text === slow)!;
    expect(socket.textOf((prompt.data as { promptId: string }).promptId)).not.toContain('w99');
    await eventually(
      async () => (await workspace(first.workspaceId!)).agentState === 'ready',
      'a fresh agent',
      15_000,
    );
    // Nothing was committed or pushed for the cancelled turn.
    expect(servedRef(`refs/heads/${first.branch}`)).toBe(before);
    expect((await task(first.id)).status).toBe('cancelled');
  }, 120_000);

  it('never lands on a workspace whose agent failed', async () => {
    const broken = await w.api.POST('/api/v1/workspaces', {
      body: { name: 'broken', projectId: w.projectId, agentCommand: 'echo no agent here >&2; exit 3' },
      headers: headers(),
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
    const idle = await w.api.POST('/api/v1/workspaces', {
      body: { name: 'idle', projectId: w.projectId },
      headers: headers(),
    });
    await eventually(
      async () => (await workspace(idle.data!.id)).agentState === 'ready',
      'the idle workspace agent to be ready',
      30_000,
    );
    const pullsBefore = w.world.fake.pulls.length;
    const t = await ended((await submit('just say hello')).id);
    expect(t.workspaceId).toBe(idle.data!.id);
    expect(t).toMatchObject({ branch: null, commit: null, pullRequestUrl: null });
    expect(t.summary).toContain('echo: just say hello');
    expect(w.world.fake.pulls.length).toBe(pullsBefore);
    expect(existsSync(join(nodeData, 'workspaces', idle.data!.id, 'app'))).toBe(false);
  }, 120_000);
});
