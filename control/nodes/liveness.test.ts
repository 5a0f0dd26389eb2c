// Node liveness: the decision table of heartbeats × peers' view, heartbeat freshness, and both through the API on
// an injected clock — gone at once when peers lose a silent node, partitioned only while heartbeats still arrive.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { MemberState, NodeStatus } from '../../contract/index.ts';
import type { Store } from '../db/index.ts';
import { createLog } from '../log.ts';
import {
  createTestNodeKey,
  FakeClock,
  startPushRecorder,
  startTestControl,
  type TestNodeCredential,
  type TestNodeKey,
} from '../testing/index.ts';
import { createLiveness, freshnessOf, type HeartbeatFreshness, nodeStatusOf } from './liveness.ts';

const config = { degradedAfterMs: 30_000, offlineAfterMs: 60_000 };

/** The rule, spelled out once: `gone` is offline, or awaiting_agent for a laptop. */
const TABLE: Record<HeartbeatFreshness, Record<MemberState, NodeStatus | 'gone'>> = {
  fresh: { alive: 'online', suspect: 'partitioned', dead: 'partitioned', left: 'partitioned' },
  late: { alive: 'degraded', suspect: 'suspect', dead: 'gone', left: 'gone' },
  silent: { alive: 'gone', suspect: 'gone', dead: 'gone', left: 'gone' },
};

describe('nodeStatusOf', () => {
  for (const laptop of [false, true]) {
    for (const [heartbeat, row] of Object.entries(TABLE) as [
      HeartbeatFreshness,
      Record<MemberState, string>,
    ][]) {
      for (const [peer, expected] of Object.entries(row) as [MemberState, string][]) {
        const want = expected === 'gone' ? (laptop ? 'awaiting_agent' : 'offline') : expected;
        it(`reads a ${heartbeat} heartbeat of a ${laptop ? 'laptop' : 'server'} its peers hold ${peer} as ${want}`, () => {
          expect(nodeStatusOf(heartbeat, peer, laptop)).toBe(want as NodeStatus);
        });
      }
    }
  }

  it('reads heartbeats alone where there is no peer view, as if peers reached the node', () => {
    for (const laptop of [false, true]) {
      for (const heartbeat of ['fresh', 'late', 'silent'] as const) {
        expect(nodeStatusOf(heartbeat, undefined, laptop)).toBe(nodeStatusOf(heartbeat, 'alive', laptop));
      }
    }
  });

  it('never calls a laptop offline, nor a server awaiting_agent', () => {
    for (const heartbeat of ['fresh', 'late', 'silent'] as const) {
      for (const peer of [undefined, 'alive', 'suspect', 'dead', 'left'] as const) {
        expect(nodeStatusOf(heartbeat, peer, true)).not.toBe('offline');
        expect(nodeStatusOf(heartbeat, peer, false)).not.toBe('awaiting_agent');
      }
    }
  });
});

describe('freshnessOf', () => {
  const at = (age: number, lostAgo?: number) =>
    freshnessOf(
      { lastHeartbeatAt: 1_000_000 - age, createdAt: 0 },
      1_000_000,
      config,
      lostAgo === undefined ? undefined : 1_000_000 - lostAgo,
    );
  it('reads heartbeat age as fresh, late, then silent', () => {
    expect(at(0)).toBe('fresh');
    expect(at(29_999)).toBe('fresh');
    expect(at(30_000)).toBe('late');
    expect(at(59_999)).toBe('late');
    expect(at(60_000)).toBe('silent');
  });
  it('reads a recent heartbeat from before the peers lost the node as late', () => {
    // Heard 2 s ago, peers lost it 1 s ago: whatever cut it off (a kill, a stop) may have silenced it too.
    expect(at(2_000, 1_000)).toBe('late');
    // Heard after they lost it: it still runs, and reaches us though not them.
    expect(at(1_000, 2_000)).toBe('fresh');
    expect(at(1_000, 1_000)).toBe('fresh');
    // Age still rules: a heartbeat after the loss that has since gone quiet.
    expect(at(30_000, 40_000)).toBe('late');
    expect(at(60_000, 70_000)).toBe('silent');
  });
  it('counts from registration until the first heartbeat', () => {
    expect(freshnessOf({ lastHeartbeatAt: null, createdAt: 0 }, 60_000, config)).toBe('silent');
  });
});

describe('Liveness on a replica without the mesh member', () => {
  const liveness = (seesPeers: boolean) =>
    createLiveness({
      // onHeartbeat reads no rows.
      store: {} as Store,
      clock: new FakeClock(Date.UTC(2030, 0, 1)),
      log: createLog({ quiet: true }),
      config,
      peerState: () => 'dead',
      seesPeers: () => seesPeers,
    });

  it("leaves the peers' judgement to the replica that has their view: partitioned stays, online stays", () => {
    const standby = liveness(false);
    expect(standby.onHeartbeat({ id: 'n', laptop: false, status: 'partitioned' }, 0)).toBe('partitioned');
    expect(standby.onHeartbeat({ id: 'n', laptop: false, status: 'online' }, 0)).toBe('online');
    // The replica with the member decides from its peers: a heartbeat from a node they lost is partitioned.
    expect(liveness(true).onHeartbeat({ id: 'n', laptop: false, status: 'online' }, 0)).toBe('partitioned');
  });
});

/** A control plane on a fake clock, with the peers' view of each node set by the test, and its node calls. */
async function startWorld() {
  const clock = new FakeClock(Date.UTC(2030, 0, 1));
  const peers = new Map<string, MemberState>();
  const control = await startTestControl({ clock, config, peerState: (id) => peers.get(id) });
  const recorder = startPushRecorder();
  const project = await control.client.POST('/api/v1/projects', { body: { name: 'live' } });
  const join = async (name: string, laptop: boolean, key?: TestNodeKey) => {
    const jt = await control.client.POST('/api/v1/join-tokens', { body: { laptop } });
    const k = key ?? (await createTestNodeKey());
    const r = await control.clientWith().POST('/api/v1/nodes/join', {
      body: {
        joinToken: jt.data!.token,
        name,
        publicKey: k.publicKey,
        address: recorder.url,
        capacity: { workspaces: 5 },
      },
    });
    expect(r.response.status).toBe(200);
    return { ...r.data!, key: k };
  };
  const status = async (id: string) =>
    (await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id } } })).data!.status;
  const wsStatus = async (id: string) =>
    (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).data!.status;
  const heartbeat = async (n: { nodeId: string } & TestNodeCredential, workspaces: string[] = []) => {
    const r = await control.nodeClient(n).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: n.nodeId } },
      body: { workspaces: workspaces.map((id) => ({ id, status: 'running' as const })) },
    });
    expect(r.response.status).toBe(200);
  };
  const workspaceOn = async (nodeId: string, name: string) => {
    const r = await control.client.POST('/api/v1/workspaces', {
      body: { name, projectId: project.data!.id, nodeId },
    });
    return r.data!.id;
  };
  /** Sweeps and returns the node's status: the sweep is what runs on every change of the peers' view. */
  const swept = async (id: string) => {
    await control.deps.liveness.sweep();
    return status(id);
  };
  return {
    clock,
    peers,
    control,
    join,
    status,
    wsStatus,
    heartbeat,
    workspaceOn,
    swept,
    async stop() {
      await recorder.stop();
      await control.stop();
    },
  };
}

describe('Liveness through the API', () => {
  let w: Awaited<ReturnType<typeof startWorld>>;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w.stop());

  it('moves silent nodes away from online, shows their workspaces unreachable, and brings both back', async () => {
    const server = await w.join('server', false);
    const laptop = await w.join('laptop', true);
    const onServer = await w.workspaceOn(server.nodeId, 's');
    const onLaptop = await w.workspaceOn(laptop.nodeId, 'l');
    await w.heartbeat(server, [onServer]);
    await w.heartbeat(laptop, [onLaptop]);

    w.clock.advance(30_000);
    expect(await w.swept(server.nodeId)).toBe('degraded');
    expect(await w.status(laptop.nodeId)).toBe('degraded');
    expect(await w.wsStatus(onServer)).toBe('running');

    w.clock.advance(30_000);
    expect(await w.swept(server.nodeId)).toBe('offline');
    expect(await w.status(laptop.nodeId)).toBe('awaiting_agent');
    expect(await w.wsStatus(onServer)).toBe('unreachable');
    expect(await w.wsStatus(onLaptop)).toBe('unreachable');

    // Nothing new is placed on a gone node.
    const pending = await w.control.client.POST('/api/v1/workspaces', {
      body: { name: 'p', projectId: (await w.control.client.GET('/api/v1/projects')).data!.items[0]!.id },
    });
    expect(pending.data!.status).toBe('pending');

    // The server heartbeats again: online, and its workspace takes the reported status.
    await w.heartbeat(server, [onServer]);
    expect(await w.status(server.nodeId)).toBe('online');
    expect(await w.wsStatus(onServer)).toBe('running');

    // The laptop re-registers with its key: same node, online, its workspace back to what it was.
    const again = await w.join('laptop', true, laptop.key);
    expect(again.nodeId).toBe(laptop.nodeId);
    expect(await w.status(laptop.nodeId)).toBe('online');
    expect(await w.wsStatus(onLaptop)).toBe('running');
  });
});

describe("Liveness with the peers' view", () => {
  let w: Awaited<ReturnType<typeof startWorld>>;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w.stop());

  it('shows a node that left the mesh offline at once, a laptop awaiting_agent, and their workspaces unreachable', async () => {
    const server = await w.join('leaving-server', false);
    const laptop = await w.join('leaving-laptop', true);
    const onServer = await w.workspaceOn(server.nodeId, 'ls');
    await w.heartbeat(server, [onServer]);
    await w.heartbeat(laptop);
    w.clock.advance(1_000);
    w.peers.set(server.nodeId, 'left');
    w.peers.set(laptop.nodeId, 'left');
    // One second after its last heartbeat, long before heartbeat age would say anything.
    expect(await w.swept(server.nodeId)).toBe('offline');
    expect(await w.status(laptop.nodeId)).toBe('awaiting_agent');
    expect(await w.wsStatus(onServer)).toBe('unreachable');
    // Restarted, it heartbeats before it is back in the mesh: running but out of the peers' reach.
    w.clock.advance(5_000);
    await w.heartbeat(server, [onServer]);
    expect(await w.status(server.nodeId)).toBe('partitioned');
    expect(await w.wsStatus(onServer)).toBe('running');
    // Back in the mesh: online at once, without waiting for the next heartbeat.
    w.peers.set(server.nodeId, 'alive');
    expect(await w.swept(server.nodeId)).toBe('online');
  });

  it('shows a killed node suspect, then offline once its peers declare it dead, never partitioned', async () => {
    const n = await w.join('killed', false);
    const ws = await w.workspaceOn(n.nodeId, 'k');
    await w.heartbeat(n, [ws]);
    const seen: string[] = [await w.status(n.nodeId)];
    w.clock.advance(2_000);
    w.peers.set(n.nodeId, 'suspect');
    seen.push(await w.swept(n.nodeId));
    w.clock.advance(4_000);
    w.peers.set(n.nodeId, 'dead');
    seen.push(await w.swept(n.nodeId));
    for (const step of [10_000, 20_000, 30_000]) {
      w.clock.advance(step);
      seen.push(await w.swept(n.nodeId));
    }
    expect(seen).toEqual(['online', 'suspect', 'offline', 'offline', 'offline', 'offline']);
    expect(await w.wsStatus(ws)).toBe('unreachable');
  });

  it('shows partitioned only while heartbeats arrive after the peers lost the node, and online once they reach it', async () => {
    const n = await w.join('cut-off', false);
    const ws = await w.workspaceOn(n.nodeId, 'c');
    await w.heartbeat(n, [ws]);
    w.clock.advance(1_000);
    w.peers.set(n.nodeId, 'suspect');
    expect(await w.swept(n.nodeId)).toBe('suspect');
    // A heartbeat while its peers cannot reach it: it runs, cut off from them.
    w.clock.advance(1_000);
    await w.heartbeat(n, [ws]);
    expect(await w.status(n.nodeId)).toBe('partitioned');
    w.peers.set(n.nodeId, 'dead');
    expect(await w.swept(n.nodeId)).toBe('partitioned');
    expect(await w.wsStatus(ws)).toBe('running');
    // Its heartbeats stop too: gone once they are late.
    w.clock.advance(29_999);
    expect(await w.swept(n.nodeId)).toBe('partitioned');
    w.clock.advance(1);
    expect(await w.swept(n.nodeId)).toBe('offline');
    expect(await w.wsStatus(ws)).toBe('unreachable');
    // They arrive again while peers still hold it dead: partitioned, its workspace back.
    await w.heartbeat(n, [ws]);
    expect(await w.status(n.nodeId)).toBe('partitioned');
    expect(await w.wsStatus(ws)).toBe('running');
    // The partition heals.
    w.peers.set(n.nodeId, 'alive');
    expect(await w.swept(n.nodeId)).toBe('online');
  });

  it('keeps a gone node gone when its peers reach it again, until its heartbeat brings it and its workspaces back', async () => {
    const n = await w.join('refuting', false);
    const ws = await w.workspaceOn(n.nodeId, 'r');
    await w.heartbeat(n, [ws]);
    w.clock.advance(1_000);
    w.peers.set(n.nodeId, 'dead');
    expect(await w.swept(n.nodeId)).toBe('offline');
    // It refutes in the mesh before it heartbeats: the heartbeat is what restores its workspaces.
    w.peers.set(n.nodeId, 'alive');
    expect(await w.swept(n.nodeId)).toBe('offline');
    expect(await w.wsStatus(ws)).toBe('unreachable');
    await w.heartbeat(n, [ws]);
    expect(await w.status(n.nodeId)).toBe('online');
    expect(await w.wsStatus(ws)).toBe('running');
  });
});
