// Node liveness on an injected clock: online → degraded → offline / awaiting_agent, workspaces unreachable and back.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import {
  createTestNodeKey,
  FakeClock,
  type PushRecorder,
  startPushRecorder,
  startTestControl,
  type TestControl,
  type TestNodeCredential,
  type TestNodeKey,
} from '../testing/index.ts';
import { livenessOf, withPeerView } from './liveness.ts';

const config = { degradedAfterMs: 30_000, offlineAfterMs: 60_000 };

describe('withPeerView', () => {
  it('shows what peers observe next to heartbeats', () => {
    expect(withPeerView('online', undefined, false)).toBe('online');
    expect(withPeerView('online', 'alive', false)).toBe('online');
    expect(withPeerView('online', 'suspect', false)).toBe('suspect');
    expect(withPeerView('degraded', 'suspect', false)).toBe('suspect');
    // Dead to its peers but still heartbeating: cut off from the mesh, not down.
    expect(withPeerView('online', 'dead', false)).toBe('partitioned');
    // Dead to its peers and its heartbeats late: gone, and a laptop is awaiting its agent.
    expect(withPeerView('degraded', 'dead', false)).toBe('offline');
    expect(withPeerView('degraded', 'dead', true)).toBe('awaiting_agent');
    expect(withPeerView('degraded', 'left', true)).toBe('awaiting_agent');
    // Heartbeat age already says gone: peers cannot bring it back.
    expect(withPeerView('offline', 'alive', false)).toBe('offline');
    expect(withPeerView('awaiting_agent', 'suspect', true)).toBe('awaiting_agent');
  });
});

describe('livenessOf', () => {
  const at = (age: number, laptop = false) =>
    livenessOf({ lastHeartbeatAt: 1_000_000 - age, createdAt: 0, laptop }, 1_000_000, config);
  it('reads heartbeat age as online, degraded, then offline', () => {
    expect(at(0)).toBe('online');
    expect(at(29_999)).toBe('online');
    expect(at(30_000)).toBe('degraded');
    expect(at(59_999)).toBe('degraded');
    expect(at(60_000)).toBe('offline');
  });
  it('calls a silent laptop awaiting_agent, never offline', () => {
    expect(at(30_000, true)).toBe('degraded');
    expect(at(3_600_000, true)).toBe('awaiting_agent');
  });
});

describe('Liveness through the API', () => {
  let control: TestControl;
  let node: PushRecorder;
  const clock = new FakeClock();

  beforeAll(async () => {
    control = await startTestControl({ clock, config });
    node = startPushRecorder();
  });
  afterAll(async () => {
    await node.stop();
    await control.stop();
  });

  async function join(name: string, laptop: boolean, key?: TestNodeKey) {
    const jt = await control.client.POST('/api/v1/join-tokens', { body: { laptop } });
    const k = key ?? (await createTestNodeKey());
    const r = await control.clientWith().POST('/api/v1/nodes/join', {
      body: {
        joinToken: jt.data!.token,
        name,
        publicKey: k.publicKey,
        address: node.url,
        capacity: { workspaces: 5 },
      },
    });
    expect(r.response.status).toBe(200);
    return { ...r.data!, key: k };
  }
  const status = async (id: string) =>
    (await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id } } })).data!.status;
  const wsStatus = async (id: string) =>
    (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).data!.status;
  const heartbeat = (
    n: { nodeId: string } & TestNodeCredential,
    workspaces: { id: string; status: 'running' }[],
  ) =>
    control.nodeClient(n).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: n.nodeId } },
      body: { workspaces },
    });

  it('moves silent nodes away from online, shows their workspaces unreachable, and brings both back', async () => {
    const server = await join('server', false);
    const laptop = await join('laptop', true);
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'live' } });
    const onServer = await control.client.POST('/api/v1/workspaces', {
      body: { name: 's', projectId: project.data!.id, nodeId: server.nodeId },
    });
    const onLaptop = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'l', projectId: project.data!.id, nodeId: laptop.nodeId },
    });
    await heartbeat(server, [{ id: onServer.data!.id, status: 'running' }]);
    await heartbeat(laptop, [{ id: onLaptop.data!.id, status: 'running' }]);

    clock.advance(30_000);
    await control.deps.liveness.sweep();
    expect(await status(server.nodeId)).toBe('degraded');
    expect(await status(laptop.nodeId)).toBe('degraded');
    expect(await wsStatus(onServer.data!.id)).toBe('running');

    clock.advance(30_000);
    await control.deps.liveness.sweep();
    expect(await status(server.nodeId)).toBe('offline');
    expect(await status(laptop.nodeId)).toBe('awaiting_agent');
    expect(await wsStatus(onServer.data!.id)).toBe('unreachable');
    expect(await wsStatus(onLaptop.data!.id)).toBe('unreachable');

    // Nothing new is placed on a gone node.
    const pending = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'p', projectId: project.data!.id },
    });
    expect(pending.data!.status).toBe('pending');

    // The server heartbeats again: online, and its workspace takes the reported status.
    const ack = await heartbeat(server, [{ id: onServer.data!.id, status: 'running' }]);
    expect(ack.response.status).toBe(200);
    expect(await status(server.nodeId)).toBe('online');
    expect(await wsStatus(onServer.data!.id)).toBe('running');

    // The laptop re-registers with its key: same node, online, its workspace back to what it was.
    const again = await join('laptop', true, laptop.key);
    expect(again.nodeId).toBe(laptop.nodeId);
    expect(await status(laptop.nodeId)).toBe('online');
    expect(await wsStatus(onLaptop.data!.id)).toBe('running');
  });
});
