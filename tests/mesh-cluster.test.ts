// Five real node processes and a real control plane on loopback: routing through any node, revocations everywhere,
// SIGSTOP below and above the suspicion timeout, the control plane killed, and kill -9 of a hosting node.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { decodeJwt } from 'jose';
import { eventually } from '../node/testing/index.ts';
import {
  type ControlClient,
  type ControlProc,
  createRunningWorkspace,
  getWithToken,
  httpToken,
  type NodeProc,
  startMeshCluster,
  startNodeProcess,
  stopMeshCluster,
  stopProcess,
  TEST_MESH_ENV,
} from './mesh-harness.ts';

const env = TEST_MESH_ENV;
// Worst case without confirmations: 6 × the 1 s minimum suspicion, plus a probe round and gossip.
const DETECTION_BUDGET_MS = 6 * 1_000 + 2_000;
let control: ControlProc;
let client: ControlClient;
const nodes: NodeProc[] = [];
const byName = (n: string) => nodes.find((x) => x.name === n) as NodeProc;

interface MeshView {
  members: { id: string; state: string; incarnation: number }[];
  metrics: { deaths: number; suspicions: number };
}
/** A mesh view of `n`, asked with its admin credential: being on its machine (loopback) is not enough. */
const view = (n: NodeProc, path: '/_node/members' | '/_node/registry') =>
  fetch(`${n.url}${path}`, { headers: { authorization: `Bearer ${n.adminCredential}` } });
const members = async (n: NodeProc): Promise<MeshView> =>
  (await (await view(n, '/_node/members')).json()) as MeshView;
const stateAt = async (at: NodeProc, of: NodeProc) =>
  (await members(at)).members.find((m) => m.id === of.nodeId)?.state;

const get = getWithToken;
const createWorkspace = (name: string, on: NodeProc) => createRunningWorkspace(client, name, on.nodeId);
const token = (id: string) => httpToken(client, id);

/** Every node answers `status` for the workspace (through the mesh for all but its host). */
async function everyNodeAnswers(id: string, t: string, status: number, what: string, timeoutMs = 15_000) {
  await eventually(
    async () => {
      for (const n of nodes) if ((await get(`${n.url}/w/${id}/hello`, t)).status !== status) return false;
      return true;
    },
    what,
    timeoutMs,
  );
}

beforeAll(async () => {
  const c = await startMeshCluster(['a', 'b', 'c', 'd', 'e'], env);
  control = c.control;
  client = c.client;
  nodes.push(...c.nodes);
}, 60_000);

afterAll(() => stopMeshCluster({ control, nodes }));

describe('Mesh with real processes', () => {
  let onC = '';
  let tokenC = '';

  it('reaches a workspace on node C through node A with a token, over HTTP and WebSocket', async () => {
    onC = await createWorkspace('on-c', byName('c'));
    tokenC = await token(onC);
    const a = byName('a');
    await eventually(
      async () => (await get(`${a.url}/w/${onC}/hello`, tokenC)).status === 200,
      'A to route to C',
      15_000,
    );
    const body = JSON.parse((await get(`${a.url}/w/${onC}/hello`, tokenC)).text) as {
      path: string;
      headers: Record<string, string>;
    };
    expect(body.path).toBe('/hello');
    // The hop marker and the token never reach the app.
    expect(body.headers['x-warren-hop']).toBeUndefined();
    expect(body.headers.authorization).toBeUndefined();
    // Without a token A refuses by itself.
    expect((await fetch(`${a.url}/w/${onC}/hello`)).status).toBe(401);
    const ws = new WebSocket(`${a.url.replace('http', 'ws')}/w/${onC}/sock?token=${tokenC}`);
    const echoed = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send('ping through A');
      ws.onmessage = (e) => {
        if (String(e.data).includes('ping through A')) resolve(String(e.data));
      };
      ws.onerror = () => reject(new Error('WebSocket through A failed'));
    });
    ws.close();
    expect(echoed).toContain('ping through A');
    await everyNodeAnswers(onC, tokenC, 200, 'every node to route to C');
  });

  it('shows the mesh through `warren mesh status` and the mesh counters in /metrics', async () => {
    const a = byName('a');
    const cli = Bun.spawn(
      [
        process.execPath,
        `${import.meta.dir}/../cli/main.ts`,
        'mesh',
        'status',
        '--node',
        a.url,
        '--data',
        a.dataDir,
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    );
    const out = await new Response(cli.stdout).text();
    expect(await cli.exited).toBe(0);
    for (const n of nodes) expect(out).toContain(n.nodeId);
    expect(out).toContain('control');
    expect(out).toMatch(/6 alive/);
    // Without the credential the node answers nothing, though this test runs on its machine.
    const anon = await fetch(`${a.url}/_node/members`);
    expect(anon.status).toBe(401);
    await anon.arrayBuffer();
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/warren_mesh_gossip_bytes_total\{path="udp",direction="out"\} [1-9]/);
    expect(metrics).toContain('warren_mesh_suspicions_total');
    expect(metrics).toContain('warren_mesh_dropped_entries_total{reason="bad-signature"} 0');
  });

  it('answers 421 with its view when asked as the host of a workspace it does not run, and never forwards twice', async () => {
    const b = byName('b');
    const res = await fetch(`${b.url}/w/${onC}/hello`, {
      headers: { authorization: `Bearer ${tokenC}`, 'x-warren-hop': 'someone' },
    });
    expect(res.status).toBe(421);
    const body = (await res.json()) as { error: { code: string; detail: { nodeId: string } } };
    expect(body.error.code).toBe('misdirected');
    expect(body.error.detail.nodeId).toBe(byName('c').nodeId);
    // Without a valid token it says nothing about where the workspace is.
    const anon = await fetch(`${b.url}/w/${onC}/hello`, { headers: { 'x-warren-hop': 'someone' } });
    expect(anon.status).toBe(401);
  });

  it('enforces a revocation published by the control plane on every node', async () => {
    const id = await createWorkspace('revoked', byName('c'));
    const t = await token(id);
    await everyNodeAnswers(id, t, 200, 'the new workspace routed everywhere');
    const { iat } = decodeJwt(t);
    await eventually(() => Math.floor(Date.now() / 1000) > iat!, 'the next second');
    const r = await client.POST('/api/v1/revocations', { body: { subject: `workspace:${id}` } });
    expect(r.response.status).toBeLessThan(300);
    // Heartbeats come every 10 s: a refusal everywhere within a few seconds is the registry's doing.
    const started = Date.now();
    await everyNodeAnswers(id, t, 401, 'the revocation at every node');
    expect(Date.now() - started).toBeLessThan(8_000);
    // Each node holds the revocation entry itself (so it refuses the token without asking the host).
    await eventually(async () => {
      for (const n of nodes) {
        const reg = (await (await view(n, '/_node/registry')).json()) as {
          items: { kind: string; value: { subject?: string } }[];
        };
        if (!reg.items.some((e) => e.kind === 'revocation' && e.value.subject === `workspace:${id}`))
          return false;
      }
      return true;
    }, 'the revocation entry in every registry');
    // And refuses it at the edge: a node that is not the host counts the refusal as `revoked` itself.
    // (Asked again now that A holds the entry: the first refusals may have come from the host before it did.)
    const a = byName('a');
    const again = await fetch(`${a.url}/w/${id}/hello`, { headers: { authorization: `Bearer ${t}` } });
    expect(again.status).toBe(401);
    await again.arrayBuffer();
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/warren_token_refusals_total\{reason="revoked"\} [1-9]/);
  });

  it('survives a SIGSTOP of the host shorter than the suspicion timeout without a death', async () => {
    const d = byName('d');
    const onD = await createWorkspace('on-d', d);
    const t = await token(onD);
    await everyNodeAnswers(onD, t, 200, 'D routed everywhere');
    const deathsBefore = await Promise.all(nodes.map(async (n) => (await members(n)).metrics.deaths));
    d.kill('SIGSTOP');
    const stoppedAt = Date.now();
    // A quarter of the 1 s minimum suspicion: at most one missed probe round.
    await eventually(() => Date.now() - stoppedAt >= 250, 'a quarter of the suspicion timeout');
    d.kill('SIGCONT');
    await everyNodeAnswers(onD, t, 200, 'D answering again through every node');
    // Give a pending suspicion its whole window to resolve, then check nobody declared D dead.
    await eventually(
      async () => {
        for (const n of nodes) if ((await stateAt(n, d)) !== 'alive') return false;
        return Date.now() - stoppedAt > DETECTION_BUDGET_MS;
      },
      'the suspicion window to pass',
      DETECTION_BUDGET_MS + 5_000,
    );
    const deathsAfter = await Promise.all(nodes.map(async (n) => (await members(n)).metrics.deaths));
    expect(deathsAfter).toEqual(deathsBefore);
  }, 30_000);

  it('declares a host dead after a SIGSTOP longer than the suspicion timeout, answers 503, and lets it refute after SIGCONT', async () => {
    const d = byName('d');
    const a = byName('a');
    const onD = await createWorkspace('on-d-2', d);
    const t = await token(onD);
    await everyNodeAnswers(onD, t, 200, 'D routed everywhere');
    d.kill('SIGSTOP');
    const stoppedAt = Date.now();
    try {
      await eventually(
        async () => (await stateAt(a, d)) === 'dead',
        'A to declare D dead',
        DETECTION_BUDGET_MS,
      );
      const r = await get(`${a.url}/w/${onD}/hello`, t);
      expect(r.status).toBe(503);
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(JSON.parse(r.text).error.code).toBe('unavailable');
      // The control plane shows what the peers observed.
      await eventually(
        async () =>
          ['offline', 'partitioned', 'suspect'].includes(
            (await client.GET('/api/v1/nodes')).data!.items.find((n) => n.id === d.nodeId)?.status ?? '',
          ),
        'the control plane to show D as peers see it',
      );
      expect(Date.now() - stoppedAt).toBeLessThan(DETECTION_BUDGET_MS + 1_000);
    } finally {
      d.kill('SIGCONT');
    }
    // D hears it was declared dead and refutes with a higher incarnation.
    await eventually(
      async () => {
        for (const n of nodes) if ((await stateAt(n, d)) !== 'alive') return false;
        return true;
      },
      'D alive again everywhere',
      15_000,
    );
    await eventually(
      async () => (await get(`${a.url}/w/${onD}/hello`, t)).status === 200,
      'D reachable again',
    );
    expect((await members(d)).metrics).toBeDefined();
  }, 40_000);

  it('keeps routing, token checks and earlier revocations working with the control plane killed', async () => {
    const id = await createWorkspace('before-kill', byName('e'));
    const good = await token(id);
    const fresh = await token(id); // never used before the kill
    const revokedWs = await createWorkspace('revoked-before-kill', byName('e'));
    const revoked = await token(revokedWs);
    await everyNodeAnswers(revokedWs, revoked, 200, 'the soon revoked workspace routed everywhere');
    const { iat } = decodeJwt(revoked);
    await eventually(() => Math.floor(Date.now() / 1000) > iat!, 'the next second');
    await client.POST('/api/v1/revocations', { body: { subject: `workspace:${revokedWs}` } });
    await everyNodeAnswers(revokedWs, revoked, 401, 'the revocation everywhere');
    await everyNodeAnswers(id, good, 200, 'the workspace routed everywhere');

    control.kill('SIGKILL');
    await control.exited;
    await everyNodeAnswers(id, good, 200, 'routing with the control plane dead');
    await everyNodeAnswers(id, fresh, 200, 'a token first used after the kill');
    await everyNodeAnswers(onC, tokenC, 200, 'the workspace on C still reachable from everywhere');
    await everyNodeAnswers(revokedWs, revoked, 401, 'the earlier revocation still enforced');

    // A node restarted while the control plane is down rejoins through the seeds it saved, under a new address.
    const e = byName('e');
    await stopProcess(e);
    const restarted = await startNodeProcess({ controlUrl: control.url, name: 'e', dataDir: e.dataDir, env });
    expect(restarted.nodeId).toBe(e.nodeId);
    nodes[nodes.indexOf(e)] = restarted;
    await everyNodeAnswers(id, good, 200, 'the restarted node reachable from everywhere', 30_000);
  }, 90_000);

  it('answers 503 with Retry-After at A within the detection budget after kill -9 of the host', async () => {
    const a = byName('a');
    const c = byName('c');
    expect((await get(`${a.url}/w/${onC}/hello`, tokenC)).status).toBe(200);
    c.kill('SIGKILL');
    const killedAt = Date.now();
    await c.exited;
    const r = await eventually(
      async () => {
        const x = await get(`${a.url}/w/${onC}/hello`, tokenC);
        return x.status === 503 ? x : undefined;
      },
      '503 at A',
      DETECTION_BUDGET_MS,
    );
    expect(Number(r.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(r.text).error.code).toBe('unavailable');
    expect(Date.now() - killedAt).toBeLessThan(DETECTION_BUDGET_MS);
    // And membership agrees within the budget: C is dead, not merely refusing connections.
    await eventually(
      async () => (await stateAt(a, c)) === 'dead',
      'A to declare C dead',
      DETECTION_BUDGET_MS,
    );
    const after = await get(`${a.url}/w/${onC}/hello`, tokenC);
    expect(after.status).toBe(503);
    expect(after.text).toContain('dead');
  }, 30_000);
});
