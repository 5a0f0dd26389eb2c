// Node names and drain through the API: an admin renames a node; a drained node gets no new workspace, warm-pool
// claim or task, while the workspaces it has keep running; undrained, it takes what waited for room.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createWarmPlacement } from './tasks/index.ts';
import {
  joinTestNode,
  type PushRecorder,
  startPushRecorder,
  startTestControl,
  type TestControl,
} from './testing/index.ts';
import { WarmPoolStore } from './warm-pool/index.ts';

let control: TestControl;
let node: PushRecorder;
let projectId = '';

beforeAll(async () => {
  control = await startTestControl();
  node = startPushRecorder();
  projectId = (await control.client.POST('/api/v1/projects', { body: { name: 'drain' } })).data!.id;
});
afterAll(async () => {
  await node.stop();
  await control.stop();
});

const join = (name: string, capacity = 4) => joinTestNode(control, { name, address: node.url, capacity });
const patch = (id: string, body: { name?: string; drained?: boolean }, client = control.client) =>
  client.PATCH('/api/v1/nodes/{id}', { params: { path: { id } }, body });
const create = (name: string, nodeId?: string) =>
  control.client.POST('/api/v1/workspaces', {
    body: { name, projectId, agentCommand: 'agent', ...(nodeId ? { nodeId } : {}) },
  });

describe('Node names', () => {
  it('renames a node (admin only), keeps the name when the machine re-registers, and refuses a bad name', async () => {
    const a = await join('host-a');
    const renamed = await patch(a.nodeId, { name: 'rack 1' });
    expect(renamed.response.status).toBe(200);
    expect(renamed.data!.name).toBe('rack 1');
    expect(
      (await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: a.nodeId } } })).data!.name,
    ).toBe('rack 1');

    expect((await patch(a.nodeId, { name: '' })).response.status).toBe(400);
    expect((await patch(a.nodeId, { name: '<script>' })).response.status).toBe(400);
    expect((await patch('nd_missing', { name: 'x' })).response.status).toBe(404);
    const member = await control.client.POST('/api/v1/users', { body: { name: 'member' } });
    const asMember = await patch(a.nodeId, { name: 'mine' }, control.clientWith(member.data!.apiToken));
    expect(asMember.response.status).toBe(403);

    // The same machine (same key) joining again under its host name keeps the admin's name.
    const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
    const again = await control.clientWith().POST('/api/v1/nodes/join', {
      body: {
        joinToken: jt.data!.token,
        name: 'host-a',
        publicKey: a.key.publicKey,
        address: node.url,
        capacity: { workspaces: 4 },
      },
    });
    expect(again.data!.nodeId).toBe(a.nodeId);
    expect(
      (await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: a.nodeId } } })).data!.name,
    ).toBe('rack 1');
  });
});

describe('Drain', () => {
  it('places nothing new on a drained node, keeps what runs there, and fills it again once undrained', async () => {
    const a = await join('drain-a', 4);
    const b = await join('drain-b', 2);
    // Other tests' nodes must not take the workspaces below.
    for (const n of (await control.client.GET('/api/v1/nodes')).data!.items)
      if (n.id !== a.nodeId && n.id !== b.nodeId) await patch(n.id, { drained: true });

    const kept = await create('kept', a.nodeId);
    expect(kept.data!.nodeId).toBe(a.nodeId);
    const beat = (id: string, workspaces: { id: string; status: 'running'; agentState?: 'ready' }[]) =>
      control
        .nodeClient(id === a.nodeId ? a : b)
        .POST('/api/v1/nodes/{id}/heartbeat', { params: { path: { id } }, body: { workspaces } });
    await beat(a.nodeId, [{ id: kept.data!.id, status: 'running', agentState: 'ready' }]);

    const drained = await patch(a.nodeId, { drained: true });
    expect(drained.data!.drainedAt).not.toBeNull();

    // New workspaces go elsewhere; naming the drained node is a 409 that says why.
    const placed = await Promise.all([create('w1'), create('w2')]);
    expect(placed.map((w) => w.data!.nodeId)).toEqual([b.nodeId, b.nodeId]);
    const named = await create('named', a.nodeId);
    expect(named.response.status).toBe(409);
    expect(named.error!.error.message).toContain('drained');
    // B is full and A drained: the next one waits, although A has room.
    const waiting = await create('waiting');
    expect(waiting.data!.nodeId).toBeNull();

    // The workspace already there keeps running: still assigned to A, still reported running.
    const ack = await beat(a.nodeId, [{ id: kept.data!.id, status: 'running', agentState: 'ready' }]);
    expect(ack.data!.workspaces.map((w) => w.id)).toContain(kept.data!.id);
    expect(ack.data!.workspaces.find((w) => w.id === kept.data!.id)!.desiredState).toBe('running');
    const k = await control.client.GET('/api/v1/workspaces/{id}', {
      params: { path: { id: kept.data!.id } },
    });
    expect(k.data).toMatchObject({ nodeId: a.nodeId, status: 'running' });

    // No task goes to a warm workspace on a drained node.
    const placement = createWarmPlacement({
      store: control.deps.store,
      client: control.deps.database.client,
    });
    const task = {
      id: 'tk_test',
      projectId,
      ownerId: (await control.client.GET('/api/v1/auth/me')).data!.id,
    };
    await expect(placement.place(task as never)).rejects.toThrow('no warm workspace');

    // Undrained: the waiting workspace lands on A at once, and tasks may go there again.
    const back = await patch(a.nodeId, { drained: false });
    expect(back.data!.drainedAt).toBeNull();
    const w = await control.client.GET('/api/v1/workspaces/{id}', {
      params: { path: { id: waiting.data!.id } },
    });
    expect(w.data!.nodeId).toBe(a.nodeId);
    expect((await placement.place(task as never)).workspaceId).toBe(kept.data!.id);
  });

  it('keeps a drained warm-pool node from being claimed', async () => {
    const pools = new WarmPoolStore(control.deps.database.client);
    const pooled = await join('pool-node');
    await pools.insertProvisioning(pooled.nodeId, 'pj_pool', 1);
    await pools.markWarm(pooled.nodeId, 2);
    expect(await pools.countAvailable('pj_pool')).toBe(1);
    await patch(pooled.nodeId, { drained: true });
    expect(await pools.countAvailable('pj_pool')).toBe(0);
    expect(await pools.claim('pj_pool', 'ws_x', 3)).toBeUndefined();
    await patch(pooled.nodeId, { drained: false });
    expect(await pools.claim('pj_pool', 'ws_x', 4)).toBe(pooled.nodeId);
  });
});
