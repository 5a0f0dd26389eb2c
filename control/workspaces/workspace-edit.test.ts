// Editing and retrying workspaces through the API: validation, unique names (409), restarts pushed to the node,
// retries with a new generation, and the degraded status a node reports for a failed agent.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { WorkspaceStatus } from '../../contract/index.ts';
import {
  joinTestNode,
  type PushRecorder,
  startPushRecorder,
  startTestControl,
  type TestControl,
} from '../testing/index.ts';

let control: TestControl;
let node: PushRecorder;
let joined: Awaited<ReturnType<typeof joinTestNode>>;

beforeAll(async () => {
  control = await startTestControl();
  node = startPushRecorder();
  joined = await joinTestNode(control, { name: 'n-edit', address: node.url, capacity: 50 });
});
afterAll(async () => {
  await node.stop();
  await control.stop();
});

const project = async (name: string) =>
  (await control.client.POST('/api/v1/projects', { body: { name } })).data!.id;

const create = (projectId: string, name: string, extra: Record<string, unknown> = {}) =>
  control.client.POST('/api/v1/workspaces', {
    body: { name, projectId, nodeId: joined.nodeId, ...extra },
  });

const patch = (id: string, body: Record<string, unknown>) =>
  control.client.PATCH('/api/v1/workspaces/{id}', { params: { path: { id } }, body: body as never });

const report = (workspaces: { id: string; status: WorkspaceStatus; reason?: string }[]) =>
  control.nodeClient(joined).POST('/api/v1/nodes/{id}/heartbeat', {
    params: { path: { id: joined.nodeId } },
    body: { workspaces },
  });

const activity = async (id: string) =>
  (await control.client.GET('/api/v1/workspaces/{id}/activity', { params: { path: { id }, query: {} } }))
    .data!.items;

const lastPush = (id: string) => node.pushes.filter((p) => p.workspaceId === id).at(-1)?.assignment;

describe('Workspace names', () => {
  it('are unique within a project: a second create is a 409 conflict naming the field', async () => {
    const p = await project('names');
    expect((await create(p, 'api')).response.status).toBe(200);
    const again = await create(p, 'api');
    expect(again.response.status).toBe(409);
    expect(again.error!.error).toMatchObject({ code: 'conflict', detail: { field: 'name' } });
    expect(again.error!.error.message).toContain('api');
    // Unplaced workspaces (no node named) are held to the same rule.
    const unplaced = await control.client.POST('/api/v1/workspaces', { body: { name: 'api', projectId: p } });
    expect(unplaced.response.status).toBe(409);
    // Another project may use the name; a deleted workspace gives it up.
    expect((await create(await project('names-2'), 'api')).response.status).toBe(200);
    const listed = (await control.client.GET('/api/v1/workspaces')).data!.items;
    const first = listed.find((w) => w.projectId === p && w.name === 'api')!;
    await control.client.DELETE('/api/v1/workspaces/{id}', { params: { path: { id: first.id } } });
    expect((await create(p, 'api')).response.status).toBe(200);
  });
});

describe('Editing a workspace', () => {
  it('restarts a running workspace with the new commands, env and limits, pushed to its node', async () => {
    const p = await project('edit');
    const ws = await create(p, 'web', { appCommand: 'bun run dev', env: { KEEP: '1', DROP: '2' } });
    const id = ws.data!.id;
    expect(ws.data!.envNames).toEqual(['DROP', 'KEEP']);
    await report([{ id, status: 'running' }]);
    const r = await patch(id, {
      appCommand: 'bun run start',
      agentCommand: 'my-agent --acp',
      env: { SECRET_TOKEN: 'hunter2', DROP: null },
      resources: { memoryMb: 1024 },
    });
    expect(r.response.status).toBe(200);
    expect(r.data).toMatchObject({
      status: 'starting',
      statusReason: 'restarting with the new spec',
      appCommand: 'bun run start',
      agentCommand: 'my-agent --acp',
      resources: { memoryMb: 1024 },
      envNames: ['KEEP', 'SECRET_TOKEN'],
    });
    expect(lastPush(id)).toMatchObject({
      desiredState: 'running',
      appCommand: 'bun run start',
      agentCommand: 'my-agent --acp',
      env: { KEEP: '1', SECRET_TOKEN: 'hunter2' },
      resources: { memoryMb: 1024 },
    });
    // The activity log says what changed, never the values (env may hold secrets), and never lists a value.
    const notes = await activity(id);
    const updated = notes.find((a) => a.type === 'workspace.updated')!;
    expect(updated.message).toBe('changed app command, agent command, environment, resources; restarting');
    expect(JSON.stringify(notes)).not.toContain('hunter2');
    expect(
      JSON.stringify(
        (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).data,
      ),
    ).not.toContain('hunter2');
    // Every heartbeat ack carries the new spec too, so a lost push still reaches the node.
    const ack = await report([{ id, status: 'starting' }]);
    expect(ack.data!.workspaces.find((w) => w.id === id)).toMatchObject({ appCommand: 'bun run start' });
  });

  it('renames without a restart, and refuses a name taken in the project with 409', async () => {
    const p = await project('rename');
    const a = (await create(p, 'alpha')).data!.id;
    await create(p, 'beta');
    await report([{ id: a, status: 'running' }]);
    const renamed = await patch(a, { name: 'gamma' });
    expect(renamed.data).toMatchObject({ name: 'gamma', status: 'running' });
    const taken = await patch(a, { name: 'beta' });
    expect(taken.response.status).toBe(409);
    expect(taken.error!.error.code).toBe('conflict');
    expect(
      (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id: a } } })).data!.name,
    ).toBe('gamma');
  });

  it('validates like create: 400 invalid_request for bad names, env names, limits and an empty change', async () => {
    const id = (await create(await project('validate'), 'v')).data!.id;
    const bad: Record<string, unknown>[] = [
      {},
      { name: '' },
      { name: 'has/slash' },
      { env: { '1BAD': 'x' } },
      { resources: { memoryMb: 10 } },
      { appCommand: '' },
      { appCommand: 'x'.repeat(4097) },
    ];
    for (const body of bad) {
      const r = await patch(id, body);
      expect(r.response.status).toBe(400);
      expect(r.error!.error.code).toBe('invalid_request');
    }
  });

  it('answers 404 for another user’s workspace and 403 for a read-only token', async () => {
    const id = (await create(await project('owned'), 'mine')).data!.id;
    const member = await control.client.POST('/api/v1/users', { body: { name: 'someone' } });
    const other = control.clientWith(member.data!.apiToken);
    const r = await other.PATCH('/api/v1/workspaces/{id}', { params: { path: { id } }, body: { name: 'x' } });
    expect(r.response.status).toBe(404);
    const ro = await control.client.POST('/api/v1/tokens', { body: { name: 'ro', scopes: ['read'] } });
    const readOnly = control.clientWith(ro.data!.token);
    const r2 = await readOnly.PATCH('/api/v1/workspaces/{id}', {
      params: { path: { id } },
      body: { name: 'x' },
    });
    expect(r2.response.status).toBe(403);
  });
});

describe('Retrying a workspace', () => {
  it('starts a workspace in error afresh with a new generation, and refuses a running one with 409', async () => {
    const id = (await create(await project('retry'), 'r', { appCommand: 'exit 127' })).data!.id;
    await report([{ id, status: 'running' }]);
    const early = await control.client.POST('/api/v1/workspaces/{id}/retry', { params: { path: { id } } });
    expect(early.response.status).toBe(409);
    expect(early.error!.error.code).toBe('illegal_transition');
    await report([{ id, status: 'error', reason: 'app command exited with code 127\nsh: x: not found' }]);
    const before = lastPush(id)?.generation ?? 0;
    const r = await control.client.POST('/api/v1/workspaces/{id}/retry', { params: { path: { id } } });
    expect(r.data).toMatchObject({ status: 'starting', statusReason: null, desiredState: 'running' });
    expect(lastPush(id)?.generation).toBe(before + 1);
    expect((await activity(id)).map((a) => a.type)).toContain('workspace.retried');
  });

  it('shows a workspace whose agent failed as degraded with the reason, and retries it too', async () => {
    const id = (await create(await project('degraded'), 'd', { agentCommand: 'missing-agent' })).data!.id;
    await report([{ id, status: 'running' }]);
    const reason =
      'agent failed: the agent exited 5 times in a row (last code 127)\nsh: missing-agent: not found';
    await report([{ id, status: 'degraded', reason }]);
    const got = await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } });
    expect(got.data).toMatchObject({ status: 'degraded', statusReason: reason });
    expect((await activity(id)).find((a) => a.type === 'workspace.degraded')?.message).toContain(
      'last code 127',
    );
    const r = await control.client.POST('/api/v1/workspaces/{id}/retry', { params: { path: { id } } });
    expect(r.data).toMatchObject({ status: 'starting' });
    expect(lastPush(id)?.generation).toBe(1);
  });
});
