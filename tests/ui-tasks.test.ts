// The task pages in a real Chromium against a real control plane (FakeGitHub behind it, a pretend node that
// reports as a node does): a task's page names its workspace, agent state, branch and pull request; the task
// list filters by state.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import {
  type GitHubWorld,
  joinTestNode,
  type PushRecorder,
  signInWithGitHub,
  startGitHubWorld,
  startPushRecorder,
  startTestControl,
  type TestControl,
  WORLD,
} from '../control/testing/index.ts';
import { eventually } from '../node/testing/index.ts';
import type { ControlClient } from '../openapi/client/index.ts';
import { launchUiBrowser, type UiBrowser } from './testing/index.ts';

let world: GitHubWorld;
let control: TestControl;
let ui: UiBrowser;
let pushes: PushRecorder;
let api: ControlClient;
let session: string;
const headers = { cookie: '' };
let done: { id: string; workspaceId: string; pullRequestUrl: string };
let waiting: string;

beforeAll(async () => {
  world = startGitHubWorld();
  [control, ui] = await Promise.all([
    startTestControl({ github: world.config, config: { taskSweepMs: 150 } }),
    launchUiBrowser(),
  ]);
  pushes = startPushRecorder();
  api = control.clientWith();
  session = (await signInWithGitHub(control.url, world.fake, WORLD.alice)).session ?? '';
  headers.cookie = `warren_session=${session}`;
  await fetch(
    `${control.url}/api/v1/github/setup?installation_id=${WORLD.installationId}&setup_action=install`,
    { headers, redirect: 'manual' },
  );
  const projectId = (
    await api.POST('/api/v1/projects', { body: { name: 'shop', agentCommand: 'agent' }, headers })
  ).data!.id;
  await api.PUT('/api/v1/projects/{id}/repositories/primary', {
    params: { path: { id: projectId } },
    headers,
    body: { installationId: WORLD.installationId, repo: 'acme/app' },
  });
  const node = await joinTestNode(control, { name: 'host-1', address: pushes.url });
  const nodeApi = control.nodeClient(node);

  // A task gets a workspace made for it; its node reports it running with a ready agent, the task starts, and
  // the node reports its end with the branch it pushed.
  const task = (await api.POST('/api/v1/tasks', { body: { projectId, prompt: 'Fix the checkout' }, headers }))
    .data!;
  let workspaceId = '';
  await eventually(() => {
    workspaceId = pushes.pushes.find((p) => p.assignment.name === `task-${task.id}`)?.workspaceId ?? '';
    return workspaceId !== '';
  }, 'the task workspace to be pushed to its node');
  await nodeApi.POST('/api/v1/nodes/{id}/heartbeat', {
    params: { path: { id: node.nodeId } },
    body: { workspaces: [{ id: workspaceId, status: 'running', agentState: 'ready' }] },
  });
  await eventually(
    () => pushes.taskCalls.some((c) => c.call === 'start' && c.taskId === task.id),
    'the task to start on its node',
  );
  await eventually(
    async () =>
      (await api.GET('/api/v1/tasks/{id}', { params: { path: { id: task.id } }, headers })).data?.status ===
      'running',
    'the task to run',
  );
  const ended = await nodeApi.POST('/api/v1/tasks/{id}/report', {
    params: { path: { id: task.id } },
    body: {
      status: 'completed',
      summary: 'Fixed the checkout',
      git: { branch: `warren/task-${task.id}`, commit: 'c'.repeat(40), base: 'main' },
    },
  });
  expect(ended.data!.pullRequestUrl).toMatch(/^https:\/\/github\.com\/acme\/app\/pull\/\d+$/);
  done = { id: task.id, workspaceId, pullRequestUrl: ended.data!.pullRequestUrl! };
  // A second task waits for its own workspace, which nobody reports running.
  waiting = (await api.POST('/api/v1/tasks', { body: { projectId, prompt: 'Add a coupon field' }, headers }))
    .data!.id;
}, 60_000);

afterAll(async () => {
  await ui?.close();
  await pushes?.stop();
  await control?.stop();
  await world?.stop();
});

async function signedIn(page: import('playwright-core').Page) {
  await page.context().addCookies([{ name: 'warren_session', value: session, url: control.url }]);
}

describe('Task pages', () => {
  it("name the task's workspace, agent state, branch and pull request", async () => {
    await ui.run('task-page-facts', async (page) => {
      await signedIn(page);
      await page.goto(`${control.url}/tasks/${done.id}`);
      const facts = page.getByRole('definition');
      await page.locator('[data-fact="branch"]').getByText(`warren/task-${done.id}`).waitFor();
      const workspace = page
        .locator('[data-fact="workspace"]')
        .getByRole('link', { name: `task-${done.id}` });
      expect(await workspace.getAttribute('href')).toBe(`/workspaces/${done.workspaceId}`);
      expect(await page.locator('[data-fact="agent"]').textContent()).toBe('ready');
      const pr = page.locator('[data-fact="pull-request"]').getByRole('link');
      expect(await pr.getAttribute('href')).toBe(done.pullRequestUrl);
      expect(await facts.count()).toBe(4);
      // Completed, it still takes a follow-up: it continues on the same branch.
      await page.getByLabel('Continue on the same branch with a follow-up').waitFor();
    });
  });

  it('filters the list by state', async () => {
    await ui.run('task-list-filter', async (page) => {
      await signedIn(page);
      await page.goto(`${control.url}/tasks`);
      const rows = page.locator('[data-task]');
      await page.locator(`[data-task="${waiting}"]`).waitFor();
      expect(await rows.count()).toBe(2);
      await page.getByLabel('State').selectOption('completed');
      await eventually(async () => (await rows.count()) === 1, 'the list to keep completed tasks');
      expect(await rows.first().getAttribute('data-task')).toBe(done.id);
      await page.getByLabel('State').selectOption('queued');
      await eventually(
        async () => (await rows.count()) === 1 && (await rows.first().getAttribute('data-task')) === waiting,
        'the list to keep queued tasks',
      );
      await page.getByLabel('State').selectOption('running');
      await page.getByRole('heading', { name: 'No task matches' }).waitFor();
    });
  });
});
