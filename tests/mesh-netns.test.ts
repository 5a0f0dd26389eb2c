// The mesh across real network namespaces: a partition {A,B,control} | {C} and its heal, then 10 % random packet
// loss on every member for a sustained minute — with iptables, on addresses that exist only in our namespaces.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { ECHO_APP, eventually } from '../node/testing/index.ts';
import {
  type ControlProc,
  type NodeProc,
  startControlProcess,
  startNodeProcess,
  stopProcess,
  TEST_MESH_CONFIG,
} from './mesh-harness.ts';

const available = Bun.spawnSync(['ip', 'netns', 'list']).exitCode === 0 && process.getuid?.() === 0;
if (!available) console.warn('mesh-netns: skipped — `ip netns` is unavailable or we are not root');

const P = `wm${process.pid % 100_000}`;
const SUBNET = `10.200.${process.pid % 250}`;
const HUB = `${P}hub`;
const MEMBERS = { ctl: 10, a: 11, b: 12, c: 13 } as const;
type Name = keyof typeof MEMBERS;
const ns = (n: Name) => `${P}${n}`;
const ip = (n: Name) => `${SUBNET}.${MEMBERS[n]}`;
const env = { WARREN_MESH_CONFIG: JSON.stringify(TEST_MESH_CONFIG) };

function sh(args: string[]): void {
  const r = Bun.spawnSync(args, { stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`${args.join(' ')}: ${r.stderr.toString()}`);
}

/** One HTTP request made from inside namespace `n` (our own process is in the root namespace). */
async function curl(
  n: Name,
  url: string,
  o: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const args = ['ip', 'netns', 'exec', ns(n), 'curl', '-s', '-i', '--max-time', '5', '-X', o.method ?? 'GET'];
  if (o.token) args.push('-H', `authorization: Bearer ${o.token}`);
  if (o.body !== undefined)
    args.push('-H', 'content-type: application/json', '--data', JSON.stringify(o.body));
  args.push(url);
  const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'ignore' });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const split = out.indexOf('\r\n\r\n');
  if (split < 0) return { status: 0, headers: {}, body: out };
  const [statusLine, ...lines] = out.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, body: out.slice(split + 4) };
}

let control: ControlProc | undefined;
const nodes: Partial<Record<Name, NodeProc>> = {};
const api = `http://${SUBNET}.${MEMBERS.ctl}:7400`;
const call = async (path: string, method = 'GET', body?: unknown) => {
  const r = await curl('ctl', `${api}${path}`, { method, body, token: control!.adminToken });
  return { status: r.status, data: r.body ? JSON.parse(r.body) : undefined };
};
/** A view of `n` from inside its namespace, with its admin credential (loopback alone is no proof). */
const viewOf = (n: Name, path: '/_node/members' | '/_node/registry') =>
  curl(n, `http://127.0.0.1:7420${path}`, { token: nodes[n]!.adminCredential });
const meshOf = async (n: Name) => {
  const r = await viewOf(n, '/_node/members');
  return JSON.parse(r.body) as {
    members: { id: string; state: string }[];
    metrics: { deaths: number; suspicions: number };
    registry: { digest: Record<string, number> };
  };
};
const via = (n: Name, id: string, token: string) => curl(n, `http://127.0.0.1:7420/w/${id}/hello`, { token });
/** The control plane's record of a node: its status and when it last heard a heartbeat. */
const nodeOf = async (n: NodeProc) =>
  (await call(`/api/v1/nodes/${n.nodeId}`)).data as { status: string; lastHeartbeatAt: string | null };

function setUpNamespaces(): void {
  sh(['ip', 'netns', 'add', HUB]);
  sh(['ip', '-n', HUB, 'link', 'add', 'br0', 'type', 'bridge']);
  sh(['ip', '-n', HUB, 'link', 'set', 'br0', 'up']);
  for (const n of Object.keys(MEMBERS) as Name[]) {
    sh(['ip', 'netns', 'add', ns(n)]);
    sh(['ip', 'link', 'add', `${P}${n}h`, 'type', 'veth', 'peer', 'name', `${P}${n}n`]);
    sh(['ip', 'link', 'set', `${P}${n}h`, 'netns', HUB]);
    sh(['ip', 'link', 'set', `${P}${n}n`, 'netns', ns(n)]);
    sh(['ip', '-n', HUB, 'link', 'set', `${P}${n}h`, 'master', 'br0', 'up']);
    sh(['ip', '-n', ns(n), 'link', 'set', `${P}${n}n`, 'name', 'eth0']);
    sh(['ip', '-n', ns(n), 'addr', 'add', `${ip(n)}/24`, 'dev', 'eth0']);
    sh(['ip', '-n', ns(n), 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', ns(n), 'link', 'set', 'lo', 'up']);
  }
}

function tearDownNamespaces(): void {
  for (const n of [...(Object.keys(MEMBERS) as Name[]).map(ns), HUB]) {
    Bun.spawnSync(['ip', 'netns', 'del', n], { stderr: 'ignore' });
  }
}

const iptables = (n: Name, ...rule: string[]) => sh(['ip', 'netns', 'exec', ns(n), 'iptables', ...rule]);

beforeAll(async () => {
  if (!available) return;
  tearDownNamespaces();
  setUpNamespaces();
  control = await startControlProcess({
    wrap: ['ip', 'netns', 'exec', ns('ctl')],
    host: ip('ctl'),
    port: 7400,
    meshListen: `${ip('ctl')}:7401`,
    env,
  });
  for (const n of ['a', 'b', 'c'] as const) {
    const jt = await call('/api/v1/join-tokens', 'POST', {});
    nodes[n] = await startNodeProcess({
      wrap: ['ip', 'netns', 'exec', ns(n)],
      controlUrl: api,
      joinToken: jt.data.token,
      name: n,
      listen: '0.0.0.0:7420',
      advertise: `http://${ip(n)}:7420`,
      meshListen: `${ip(n)}:7421`,
      env,
    });
  }
  await eventually(
    async () => {
      for (const n of ['a', 'b', 'c'] as const) {
        if ((await meshOf(n)).members.filter((m) => m.state === 'alive').length < 4) return false;
      }
      return true;
    },
    'four members alive everywhere',
    20_000,
  );
}, 90_000);

afterAll(async () => {
  await Promise.all(Object.values(nodes).map((n) => stopProcess(n)));
  await stopProcess(control);
  if (available) tearDownNamespaces();
  for (const n of Object.values(nodes)) rmSync(n.dataDir, { recursive: true, force: true });
  if (control) rmSync(control.dataDir, { recursive: true, force: true });
});

describe.skipIf(!available)('Mesh across network namespaces', () => {
  let wsId = '';
  let token = '';

  it('answers 503 at A for C’s workspace while {A,B,control} | {C} are partitioned, and converges after the heal', async () => {
    const c = nodes.c!;
    const project = await call('/api/v1/projects', 'POST', { name: 'netns' });
    const ws = await call('/api/v1/workspaces', 'POST', {
      name: 'on-c',
      projectId: project.data.id,
      nodeId: c.nodeId,
      appCommand: `exec ${process.execPath} ${ECHO_APP}`,
    });
    wsId = ws.data.id;
    await eventually(
      async () => (await call(`/api/v1/workspaces/${wsId}`)).data?.status === 'running',
      'the workspace running on C',
      20_000,
    );
    token = (await call(`/api/v1/workspaces/${wsId}/tokens`, 'POST', { scopes: ['http'] })).data.token;
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

  it('shows C partitioned while its heartbeats reach the control plane but its peers cannot reach it', async () => {
    const c = nodes.c!;
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
    const before = await Promise.all(
      (['a', 'b', 'c'] as const).map(async (n) => (await meshOf(n)).metrics.deaths),
    );
    const all: Name[] = ['ctl', 'a', 'b', 'c'];
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
