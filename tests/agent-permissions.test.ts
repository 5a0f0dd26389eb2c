// A person in the loop, end to end: a real control plane, a real node process (restarted mid-wait), and the fixture
// ACP agent asking `session/request_permission`. The request waits for its task's owner through the restart, the
// task shows needs_input meanwhile, and the agent gets exactly the option answered; `allow` answers at once; other
// users and other workspaces' tokens neither see nor answer it.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { startTestControl, type TestControl } from '../control/testing/index.ts';
import { AgentSocketClient, eventually, FIXTURE_AGENT, tempDataDir } from '../node/testing/index.ts';
import { type AgentNode, agentNode, spawnWarrenCli } from './testing/index.ts';

let control: TestControl;
let agents: AgentNode;
const dataDir = tempDataDir();
let asking: { projectId: string; workspaceId: string };
let allowing: { projectId: string; workspaceId: string };
const AGENT = `exec ${process.execPath} ${FIXTURE_AGENT}`;
const PERMISSION_TEXT = (optionId: string) =>
  `permission {"outcome":{"outcome":"selected","optionId":"${optionId}"}}`;

beforeAll(async () => {
  control = await startTestControl({ config: { heartbeatIntervalMs: 300, taskSweepMs: 150 } });
  const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
  // A request waiting 300 ms makes its task needs_input (the default is a minute).
  agents = agentNode(control, dataDir, { WARREN_AGENT_NEEDS_INPUT_MS: '300' });
  await agents.start(['--join-token', jt.data!.token]);
  const project = async (name: string, agentPermissions?: 'allow') => {
    const p = await control.client.POST('/api/v1/projects', {
      body: { name, ...(agentPermissions ? { agentPermissions } : {}) },
    });
    const projectId = p.data!.id;
    return { projectId, workspaceId: await agents.workspace(projectId, `${name}-ws`, AGENT) };
  };
  asking = await project('asks');
  allowing = await project('allows', 'allow');
}, 30_000);

afterAll(async () => {
  await agents.close();
  await control.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Task = { id: string; status: string; summary: string | null };

async function submit(projectId: string, prompt: string): Promise<Task> {
  const r = await control.client.POST('/api/v1/tasks', { body: { projectId, prompt } });
  expect(r.response.status).toBe(200);
  return r.data as Task;
}

const taskIn = (id: string, status: string, timeoutMs = 20_000) =>
  eventually(
    async () => {
      const t = (await control.client.GET('/api/v1/tasks/{id}', { params: { path: { id } } })).data as Task;
      return t.status === status ? t : undefined;
    },
    `task ${id} to be ${status}`,
    timeoutMs,
  );

const permissionsOf = async (id: string, client = control.client) =>
  client.GET('/api/v1/tasks/{id}/permissions', { params: { path: { id } } });

const answer = (id: string, requestId: string, optionId: string, client = control.client) =>
  client.POST('/api/v1/tasks/{id}/permissions/{requestId}', {
    params: { path: { id, requestId } },
    body: { optionId },
  });

describe('Agent permission requests', () => {
  it("are answered on the workspace's chat socket, never from another workspace's token", async () => {
    const chat = await agents.connect(asking.workspaceId);
    chat.send({ type: 'prompt', text: '/permission' });
    const asked = await chat.waitFor(
      (c) => c.events().find((e) => e.data.kind === 'permission_requested'),
      'the permission request in the chat',
    );
    const { requestId, promptId } = asked.data as { requestId: string; promptId: string };
    // Another workspace's agent token: refused on this workspace's socket outright...
    const otherToken = await agents.token(allowing.workspaceId, ['agent']);
    const url = `${agents.node.url.replace('http', 'ws')}/w/${asking.workspaceId}/_agent?token=`;
    await expect(AgentSocketClient.connect(`${url}${encodeURIComponent(otherToken)}`)).rejects.toThrow();
    // ...and on its own socket the request is unknown.
    const other = await agents.connect(allowing.workspaceId, '', otherToken);
    other.send({ type: 'permission', requestId, optionId: 'yes' });
    expect(
      await other.waitFor((c) => c.messages.find((m) => m.type === 'error'), 'the refusal'),
    ).toMatchObject({
      code: 'not_found',
    });
    chat.send({ type: 'permission', requestId, optionId: 'yes' });
    await chat.waitFor(
      (c) => c.events().find((e) => e.data.kind === 'turn_ended' && e.data.promptId === promptId),
      'the end of the turn',
    );
    expect(chat.textOf(promptId)).toBe(PERMISSION_TEXT('yes'));
  });

  it("wait for the task's owner through a node restart, show needs_input, and give the agent exactly the answer", async () => {
    const task = await submit(asking.projectId, '/permission');
    const listed = await eventually(async () => {
      const r = await permissionsOf(task.id);
      return r.data?.items.length === 1 ? r.data.items[0] : undefined;
    }, 'the request to be listed');
    expect(listed).toMatchObject({
      workspaceId: asking.workspaceId,
      taskId: task.id,
      toolCall: { title: 'write a file' },
      options: [
        { optionId: 'yes', name: 'Allow', kind: 'allow_once' },
        { optionId: 'no', name: 'Reject', kind: 'reject_once' },
      ],
      resumed: false,
    });
    await taskIn(task.id, 'needs_input');

    // Another user neither sees nor answers it.
    const member = await control.client.POST('/api/v1/users', { body: { name: 'someone else' } });
    const stranger = control.clientWith(member.data!.apiToken);
    expect((await permissionsOf(task.id, stranger)).response.status).toBe(404);
    const refused = await answer(task.id, listed.id, 'yes', stranger);
    expect(refused.response.status).toBe(404);
    expect((refused.error as { error: { code: string } }).error.code).toBe('not_found');
    // Bad answers are the one error shape.
    const notAnOption = await answer(task.id, listed.id, 'maybe');
    expect(notAnOption.response.status).toBe(400);
    expect((notAnOption.error as { error: { code: string } }).error.code).toBe('invalid_request');
    expect((await answer(task.id, 'no-such-request', 'yes')).response.status).toBe(404);

    // The node restarts while the request waits: the agent that asked is gone, the request is not.
    await agents.stop('SIGTERM');
    await agents.start();
    const after = await eventually(async () => {
      const r = await permissionsOf(task.id);
      return r.response.status === 200 && r.data?.items.length === 1 ? r.data.items[0] : undefined;
    }, 'the request to be offered again');
    expect(after).toMatchObject({ id: listed.id, taskId: task.id, resumed: true });
    expect(
      (await control.client.GET('/api/v1/tasks/{id}', { params: { path: { id: task.id } } })).data?.status,
    ).toBe('needs_input');

    const answered = await answer(task.id, listed.id, 'no');
    expect(answered.response.status).toBe(200);
    expect(answered.data).toEqual({ requestId: listed.id, optionId: 'no' });
    // The restarted agent is asked the same again and gets exactly this answer: the turn it ends is the task's end.
    const done = await taskIn(task.id, 'completed');
    expect(done.summary).toBe(PERMISSION_TEXT('no'));
    const again = await answer(task.id, listed.id, 'yes');
    expect(again.response.status).toBe(409);
    expect((again.error as { error: { code: string } }).error.code).toBe('conflict');
    expect((await permissionsOf(task.id)).data?.items).toEqual([]);
  });

  it('are listed and answered with warren task', async () => {
    const task = await submit(asking.projectId, '/permission');
    await eventually(
      async () => (await permissionsOf(task.id)).data?.items.length === 1,
      'the request to be listed',
    );
    const warren = async (...args: string[]) => {
      const p = spawnWarrenCli([...args, '--url', control.url, '--token', control.adminToken]);
      const [out, err, code] = await Promise.all([
        new Response(p.stdout).text(),
        new Response(p.stderr).text(),
        p.exited,
      ]);
      return { out, err, code };
    };
    const listed = await warren('task', 'permissions', task.id);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('write a file');
    expect(listed.out).toContain('yes  (allow_once)  Allow');
    expect(listed.out).toContain('no  (reject_once)  Reject');
    const wrong = await warren('task', 'answer', task.id, 'maybe');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('not one of');
    const answered = await warren('task', 'answer', task.id, 'no');
    expect(answered.code).toBe(0);
    expect(answered.out).toMatch(/: answered no\n$/);
    expect((await taskIn(task.id, 'completed')).summary).toBe(PERMISSION_TEXT('no'));
  });

  it('are answered at once with the allow option when the project allows them', async () => {
    const task = await submit(allowing.projectId, '/permission');
    const done = await taskIn(task.id, 'completed');
    expect(done.summary).toBe(PERMISSION_TEXT('yes'));
  });
});
