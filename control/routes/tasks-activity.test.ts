// The task and activity routes over HTTP, in-process on a real control plane's dependencies: the one
// error shape, idempotent submission, and cursor answers (own, foreign, tampered, pruned, not visible).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Elysia } from 'elysia';
import { newId } from '../../contract/index.ts';
import { type ActivityLog, createActivityLog } from '../activity/index.ts';
import { createTaskService, createWarmPlacement } from '../tasks/index.ts';
import { FakeClock, startTestControl, type TestControl, testNodeRow } from '../testing/index.ts';
import { activityRoutes } from './activity.ts';
import { createErrorHandler } from './error-handler.ts';
import { taskRoutes } from './tasks.ts';

/** These tests raise no permission requests. */
const noPermissions = {
  permissions: async () => [],
  answer: () => Promise.reject(new Error('no permission requests here')),
};

let control: TestControl;
let app: { handle(r: Request): Promise<Response> };
let log: ActivityLog;
const clock = new FakeClock(Date.now());
let projectId: string;
const workspaces: string[] = [];

const call = async (method: string, path: string, body?: unknown, token?: string) => {
  const r = await app.handle(
    new Request(`http://control${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token ?? control.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};
const http = async (method: string, path: string, body: unknown) => {
  const r = await fetch(`${control.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${control.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await r.json()) as { id: string };
};

beforeAll(async () => {
  control = await startTestControl();
  const client = control.deps.database.client;
  log = createActivityLog({
    client,
    clock,
    cursorKey: crypto.getRandomValues(new Uint8Array(32)),
    config: { retentionMs: 60_000, defaultLimit: 50, maxLimit: 500 },
  });
  const tasks = createTaskService({
    client,
    clock,
    placement: { place: async () => Promise.reject(new Error('no nodes in this test')) },
    agents: {
      start: async () => ({ agentSessionId: 'x' }),
      send: async () => {},
      stop: async () => {},
      ...noPermissions,
    },
  });
  app = new Elysia()
    .onError(createErrorHandler(control.deps.log))
    .use(activityRoutes(control.deps, log))
    .use(taskRoutes(control.deps, { tasks }));
  projectId = (await http('POST', '/api/v1/projects', { name: 'routes' })).id;
  for (const name of ['one', 'two'])
    workspaces.push((await http('POST', '/api/v1/workspaces', { name, projectId })).id);
});

afterAll(async () => {
  await control.stop();
});

describe('Task routes', () => {
  it('submits a task once per idempotency key', async () => {
    const body = { projectId, prompt: 'write docs', idempotencyKey: 'k1' };
    const a = await call('POST', '/api/v1/tasks', body);
    const b = await call('POST', '/api/v1/tasks', body);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ status: 'queued', prompt: 'write docs', idempotencyKey: 'k1' });
    expect(b.body.id).toBe(a.body.id);
    const other = await call('POST', '/api/v1/tasks', { ...body, prompt: 'other' });
    expect(other.status).toBe(409);
    expect((other.body.error as { code: string }).code).toBe('conflict');
  });

  it('answers bad input, unknown projects and missing tokens in the one error shape', async () => {
    const bad = await call('POST', '/api/v1/tasks', { projectId, prompt: '' });
    expect(bad.status).toBe(400);
    expect((bad.body.error as { code: string }).code).toBe('invalid_request');
    const unknown = await call('POST', '/api/v1/tasks', { projectId: `pj${'0'.repeat(20)}`, prompt: 'x' });
    expect(unknown.status).toBe(404);
    const noToken = await call('GET', '/api/v1/tasks', undefined, 'nope');
    expect(noToken.status).toBe(401);
    // A node report for a task no node runs: 401 like any report without the right certificate.
    const report = await call('POST', `/api/v1/tasks/ta${'0'.repeat(20)}/report`, { status: 'completed' });
    expect(report.status).toBe(401);
  });

  it('searches with operators taken literally', async () => {
    const r = await call('GET', `/api/v1/tasks?q=${encodeURIComponent('docs OR "(')}`);
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([]);
    const docs = await call('GET', '/api/v1/tasks?q=docs');
    expect((docs.body.items as unknown[]).length).toBe(1);
  });
});

describe('Warm placement', () => {
  it("places a task on its owner's running workspace of the project on an online node, one task at a time", async () => {
    const { store, database } = control.deps;
    const admin = (await store.users.list())[0];
    if (!admin) throw new Error('no admin');
    const nodeId = newId('node');
    const now = Date.now();
    await store.nodes.insert(testNodeRow({ id: nodeId, name: 'warm', lastHeartbeatAt: now, createdAt: now }));
    const [one] = workspaces as [string];
    const before = await store.workspaces.get(one);
    if (!before) throw new Error('no workspace');
    expect(
      await store.workspaces.update(one, before.status, {
        nodeId,
        status: 'running',
        desiredState: 'running',
        agentCommand: 'run-the-agent',
        agentState: 'restarting',
      }),
    ).toBeDefined();
    const placement = createWarmPlacement({ store, client: database.client });
    const tasks = createTaskService({
      client: database.client,
      clock,
      placement,
      agents: {
        start: async () => ({ agentSessionId: 's' }),
        send: async () => {},
        stop: async () => {},
        ...noPermissions,
      },
    });
    const actor = { userId: admin.id, admin: true };
    const a = (await tasks.submit(actor, { projectId, prompt: 'warm a' })).task;
    const b = (await tasks.submit(actor, { projectId, prompt: 'warm b' })).task;
    // Only a ready agent takes a task: one that is restarting (or failed) would only fail it.
    expect(await tasks.dispatch(a.id)).toMatchObject({ started: false, task: { status: 'queued' } });
    const restarting = (await store.workspaces.get(one))!;
    await store.workspaces.update(one, restarting.status, { agentState: 'ready' });
    expect(await tasks.dispatch(a.id)).toMatchObject({ started: true, task: { workspaceId: one, nodeId } });
    expect(await tasks.dispatch(b.id)).toMatchObject({ started: false, task: { status: 'queued' } });
    // A task waiting on a person still holds its workspace: no other task is placed there meanwhile.
    expect((await tasks.needsInput(nodeId, a.id, true)).status).toBe('needs_input');
    expect(await tasks.dispatch(b.id)).toMatchObject({ started: false, task: { status: 'queued' } });
    expect((await tasks.needsInput(nodeId, a.id, false)).status).toBe('running');
    await store.nodes.update(nodeId, { status: 'offline' });
    await tasks.report(nodeId, a.id, { status: 'completed', outcome: {} });
    expect((await tasks.dispatch(b.id)).started).toBe(false);
    await store.nodes.update(nodeId, { status: 'online' });
    expect(await tasks.dispatch(b.id)).toMatchObject({ started: true, task: { workspaceId: one } });
  });
});

describe('Activity routes', () => {
  it('pages by cursor, and refuses foreign, tampered and pruned cursors without telling workspaces apart', async () => {
    const [one, two] = workspaces as [string, string];
    const first = await log.append({
      workspaceId: one,
      kind: 'lifecycle',
      type: 'workspace.created',
      message: 'made',
    });
    await log.append({ workspaceId: one, kind: 'agent', type: 'agent.turn', message: 'turn ended' });
    const foreign = await log.append({
      workspaceId: two,
      kind: 'lifecycle',
      type: 'workspace.created',
      message: 'x',
    });

    const newest = await call('GET', `/api/v1/workspaces/${one}/activity`);
    expect(newest.status).toBe(200);
    // Newest first; the oldest is the real workspace service's lifecycle event of the create.
    expect((newest.body.items as { message: string }[]).map((e) => e.message)).toEqual([
      'turn ended',
      'made',
      'workspace one created; waiting for a node with room',
    ]);
    const after = await call(
      'GET',
      `/api/v1/workspaces/${one}/activity?since_id=${encodeURIComponent(first.id)}`,
    );
    expect((after.body.items as { message: string }[]).map((e) => e.message)).toEqual(['turn ended']);

    const bad = await call(
      'GET',
      `/api/v1/workspaces/${one}/activity?since_id=${encodeURIComponent(foreign.id)}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({
      code: 'invalid_cursor',
      message: 'the cursor is not valid for this workspace',
    });
    const tampered = await call(
      'GET',
      `/api/v1/workspaces/${one}/activity?since_id=${encodeURIComponent(`${first.id}x`)}`,
    );
    expect(tampered).toEqual(bad);

    const hidden = await call(
      'GET',
      `/api/v1/workspaces/ws${'0'.repeat(20)}/activity?since_id=${encodeURIComponent(first.id)}`,
    );
    expect(hidden.status).toBe(404);

    clock.advance(61_000);
    await log.prune();
    const gone = await call(
      'GET',
      `/api/v1/workspaces/${one}/activity?since_id=${encodeURIComponent(first.id)}`,
    );
    expect(gone.status).toBe(410);
    expect((gone.body.error as { code: string }).code).toBe('gone');
  });
});
