// The mesh across real network namespaces: a partition {A,B,control} | {C} and its heal, then 10 % random packet
// loss on every member for a sustained minute — with iptables, on addresses that exist only in our namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { eventually } from '../node/testing/index.ts';
import type { LoadReport } from './fixtures/forward-load.ts';
import { TEST_MESH_ENV } from './mesh-harness.ts';
import { netnsAvailable } from './netns.ts';
import { type Member, type NetnsMesh, type NodeName, startNetnsMesh } from './netns-mesh.ts';

const available = netnsAvailable();
if (!available) console.warn('mesh-netns: skipped — `ip netns` is unavailable or we are not root');

const P = `wm${process.pid % 100_000}`;
const SUBNET = `10.200.${process.pid % 250}`;
const env = TEST_MESH_ENV;

let m: NetnsMesh;
const ip = (n: Member) => m.net.ip(n);
const curl: NetnsMesh['curl'] = (...a) => m.curl(...a);
const call: NetnsMesh['call'] = (...a) => m.call(...a);
const viewOf: NetnsMesh['viewOf'] = (...a) => m.viewOf(...a);
const meshOf: NetnsMesh['meshOf'] = (...a) => m.meshOf(...a);
const via: NetnsMesh['via'] = (...a) => m.via(...a);
const iptables = (n: Member, ...rule: string[]) => m.net.iptables(n, ...rule);
const contactFailures = async (n: NodeName) => {
  const text = (await curl(n, 'http://127.0.0.1:7420/metrics')).body;
  return Number(/^warren_mesh_contact_failures_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
};
/** The control plane's record of a node: its status and when it last heard a heartbeat. */
const nodeOf = async (n: { nodeId: string }) =>
  (await call(`/api/v1/nodes/${n.nodeId}`)).data as { status: string; lastHeartbeatAt: string | null };

beforeAll(async () => {
  if (available) m = await startNetnsMesh({ prefix: P, subnet: SUBNET, env });
}, 90_000);

afterAll(async () => {
  await m?.stop();
});

describe.skipIf(!available)('Mesh across network namespaces', () => {
  let wsId = '';
  let token = '';

  it('answers 503 at A for C’s workspace while {A,B,control} | {C} are partitioned, and converges after the heal', async () => {
    const c = m.nodes.c;
    ({ id: wsId, token } = await m.createWorkspace('on-c', c.nodeId));
    await eventually(async () => (await via('a', wsId, token)).status === 200, 'A to route to C', 15_000);

    iptables('c', '-A', 'INPUT', '-i', 'eth0', '-j', 'DROP');
    iptables('c', '-A', 'OUTPUT', '-o', 'eth0', '-j', 'DROP');
    try {
      const during = await eventually(
        async () => {
          const r = await via('a', wsId, token);
          return r.status === 503 &&
            (await meshOf('a')).members.find((m) => m.id === c.nodeId)?.state === 'dead'
            ? r
            : undefined;
        },
        '503 at A with C declared dead',
        20_000,
      );
      expect(Number(during.headers['retry-after'])).toBeGreaterThan(0);
      expect(JSON.parse(during.body).error.code).toBe('unavailable');
      // The control plane, on the majority side, shows C offline: its peers lost it, and its heartbeats do not
      // reach the control plane either — from here it cannot be told from a machine that is down.
      await eventually(
        async () => (await nodeOf(c)).status === 'offline',
        'the control plane to show C offline',
        20_000,
      );
      // B agrees; C, alone, considers the others dead.
      await eventually(
        async () => (await meshOf('b')).members.find((m) => m.id === c.nodeId)?.state === 'dead',
        'B to declare C dead',
        20_000,
      );
    } finally {
      iptables('c', '-F');
    }
    await eventually(
      async () => {
        for (const n of ['a', 'b', 'c'] as const) {
          if ((await meshOf(n)).members.some((m) => m.state !== 'alive')) return false;
        }
        return true;
      },
      'everyone alive again after the heal',
      30_000,
    );
    await eventually(
      async () => (await via('a', wsId, token)).status === 200,
      'A routing to C again',
      15_000,
    );
    // The registries converge: the same digest everywhere, and one owner per workspace.
    await eventually(
      async () => {
        const digests = await Promise.all(
          (['a', 'b', 'c'] as const).map(async (n) => (await meshOf(n)).registry.digest),
        );
        return digests.every((d) => JSON.stringify(sorted(d)) === JSON.stringify(sorted(digests[0]!)));
      },
      'equal registry digests',
      20_000,
    );
    for (const n of ['a', 'b', 'c'] as const) {
      const reg = JSON.parse((await viewOf(n, '/_node/registry')).body) as {
        items: { kind: string; origin: string; value: { workspaceId?: string } }[];
      };
      const owners = new Map<string, Set<string>>();
      for (const e of reg.items) {
        if (e.kind !== 'workspace') continue;
        const set = owners.get(e.value.workspaceId!) ?? new Set();
        set.add(e.origin);
        owners.set(e.value.workspaceId!, set);
      }
      expect(owners.get(wsId)).toEqual(new Set([c.nodeId]));
      for (const set of owners.values()) expect(set.size).toBe(1);
    }
  }, 120_000);

  it('answers C’s workspace at A with 503 in time and B’s with 200 throughout while only A and C are cut apart', async () => {
    const c = m.nodes.c;
    const { id: onB, token: tokenB } = await m.createWorkspace('on-b', m.nodes.b.nodeId);
    for (const [id, t] of [
      [onB, tokenB],
      [wsId, token],
    ] as const)
      await eventually(async () => (await via('a', id, t)).status === 200, 'A to route to B and C', 15_000);
    const contactsBefore = await contactFailures('a');
    // The control plane and B still reach C, so A's membership keeps C alive (indirect probes succeed).
    iptables('c', '-A', 'INPUT', '-s', ip('a'), '-j', 'DROP');
    iptables('c', '-A', 'OUTPUT', '-d', ip('a'), '-j', 'DROP');
    let report: LoadReport;
    try {
      report = await m.loadAt('a', {
        cut: { url: `http://127.0.0.1:7420/w/${wsId}/hello`, token, concurrency: 150, durationMs: 0 },
        healthy: {
          url: `http://127.0.0.1:7420/w/${onB}/hello`,
          token: tokenB,
          connections: 1,
          durationMs: 3_000,
        },
        // Generous: every answer must come, not come fast (the bench measures how fast).
        timeoutMs: 40_000,
      });
      expect((await meshOf('a')).members.find((m) => m.id === c.nodeId)?.state).not.toBe('dead');
    } finally {
      iptables('c', '-F');
    }
    // Every request for C's workspace was answered, each with the 503 of an unreachable host.
    expect(report.cut.length).toBe(150);
    expect(report.cut.filter((s) => s.status !== 503)).toEqual([]);
    // B's workspace answered 200 every time, also while requests for C were waiting.
    expect(report.healthy.filter((s) => s.status !== 200)).toEqual([]);
    expect(report.healthy.filter((s) => s.inFlight >= 64).length).toBeGreaterThan(0);
    // The failed forwards were local evidence: A probed C at once.
    expect(await contactFailures('a')).toBeGreaterThan(contactsBefore);
    await eventually(async () => (await via('a', wsId, token)).status === 200, 'A reaching C again', 30_000);
  }, 120_000);

  it('shows C partitioned while its heartbeats reach the control plane but its peers cannot reach it', async () => {
    const c = m.nodes.c;
    await eventually(async () => (await nodeOf(c)).status === 'online', 'C online again', 30_000);
    // Everything on C's link is dropped but its HTTP to the control plane's API: the mesh (members and the
    // control plane's own member alike) loses C, while C goes on heartbeating.
    const api = ['-p', 'tcp', '--dport', '7400', '-d', ip('ctl'), '-j', 'ACCEPT'];
    iptables('c', '-A', 'OUTPUT', '-o', 'eth0', ...api);
    iptables('c', '-A', 'OUTPUT', '-o', 'eth0', '-j', 'DROP');
    iptables(
      'c',
      '-A',
      'INPUT',
      '-i',
      'eth0',
      '-p',
      'tcp',
      '--sport',
      '7400',
      '-s',
      ip('ctl'),
      '-j',
      'ACCEPT',
    );
    iptables('c', '-A', 'INPUT', '-i', 'eth0', '-j', 'DROP');
    const cutAt = Date.now();
    const seen: string[] = [];
    try {
      await eventually(
        async () => (await meshOf('a')).members.find((m) => m.id === c.nodeId)?.state === 'dead',
        'A to declare C dead',
        20_000,
      );
      // Heartbeats come every 10 s (with jitter): the next one after C was lost makes it partitioned.
      const cut = await eventually(
        async () => {
          const n = await nodeOf(c);
          if (seen.at(-1) !== n.status) seen.push(n.status);
          return n.status === 'partitioned' ? n : undefined;
        },
        'the control plane to show C partitioned',
        30_000,
      );
      // It says so because heartbeats still arrive: the last one came after the cut.
      expect(Date.parse(cut.lastHeartbeatAt!)).toBeGreaterThan(cutAt);
      expect(seen.at(-1)).toBe('partitioned');
    } finally {
      iptables('c', '-F');
    }
    await eventually(
      async () => (await nodeOf(c)).status === 'online',
      `C online again after the heal (seen: ${seen.join(' → ')})`,
      30_000,
    );
  }, 90_000);

  it('keeps /_node/members and /_node/registry from callers without proof, on loopback too', async () => {
    for (const path of ['/_node/members', '/_node/registry'] as const) {
      // From B's namespace to A's address: through A's raw front, as any remote client would come.
      const remote = await curl('b', `http://${ip('a')}:7420${path}`);
      expect(remote.status).toBe(401);
      // On A's own loopback, as a workspace on A's machine would come: still nothing without the credential.
      const local = await curl('a', `http://127.0.0.1:7420${path}`);
      expect(local.status).toBe(401);
      expect((await curl('a', `http://127.0.0.1:7420${path}`, { token: 'wrn_node_wrong' })).status).toBe(401);
      expect((await viewOf('a', path)).status).toBe(200);
    }
  });

  it('declares nobody dead under 10 % random packet loss on every member for a sustained minute', async () => {
    // The start: every member alive in every view (an earlier test's cut may still be healing: a member declared
    // dead comes back by refuting with a higher incarnation, which takes a probe round or two).
    await eventually(
      async () => {
        for (const n of ['a', 'b', 'c'] as const) {
          const view = await meshOf(n);
          if (view.members.some((m) => m.state === 'dead' || m.state === 'left')) return false;
        }
        return true;
      },
      'every member alive in every view before the loss starts',
      30_000,
    );
    const before = await Promise.all(
      (['a', 'b', 'c'] as const).map(async (n) => (await meshOf(n)).metrics.deaths),
    );
    const all: Member[] = ['ctl', 'a', 'b', 'c'];
    for (const n of all) {
      iptables(
        n,
        '-A',
        'INPUT',
        '-i',
        'eth0',
        '-m',
        'statistic',
        '--mode',
        'random',
        '--probability',
        '0.1',
        '-j',
        'DROP',
      );
    }
    const started = Date.now();
    let requests = 0;
    try {
      // Observe for 60 s; fail at the first member any node holds dead.
      while (Date.now() - started < 60_000) {
        for (const n of ['a', 'b', 'c'] as const) {
          const view = await meshOf(n);
          const dead = view.members.filter((m) => m.state === 'dead' || m.state === 'left');
          expect(dead.map((m) => m.id)).toEqual([]);
        }
        const r = await via('a', wsId, token);
        if (r.status === 200) requests++;
        await Bun.sleep(500); // pacing of the observation loop, not a wait for a condition
      }
    } finally {
      for (const n of all) iptables(n, '-F');
    }
    const after = await Promise.all(
      (['a', 'b', 'c'] as const).map(async (n) => (await meshOf(n)).metrics.deaths),
    );
    expect(after).toEqual(before);
    expect(requests).toBeGreaterThan(0);
  }, 120_000);
});

function sorted(d: Record<string, number>): [string, number][] {
  return Object.entries(d).sort(([a], [b]) => (a < b ? -1 : 1));
}
