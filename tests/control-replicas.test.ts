// Two `warren control` replicas on one real sqld behind a load balancer: one API, sessions and event stream, and
// the duties (key rotation, task sweeps, the mesh member) on one lease holder, taken over when it is killed.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { hostname } from 'node:os';
import { type Client, createClient } from '@libsql/client';
import { eventually, type RunningSqld, startSqld } from '../control/testing/index.ts';
import { FIXTURE_AGENT } from '../node/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';
import {
  type ControlProc,
  type NodeProc,
  startControlProcess,
  startNodeProcess,
  stopProcess,
  TEST_MESH_ENV,
  tempDir,
} from './mesh-harness.ts';

/** Short enough to see several rotations, and the lease change hands, within a test. */
const ROTATION_MS = 1_200;
const LEASE_TTL_MS = 1_500;
const PUBLISH_LEAD_MS = 14_000;
/** Long enough for the next rotation to come due and be made. */
const ROTATION_WAIT_MS = PUBLISH_LEAD_MS + ROTATION_MS + 10_000;

let sqld: RunningSqld;
let db: Client;
let balancer: ReturnType<typeof Bun.serve>;
/** The replicas the balancer spreads requests over (a killed one is skipped: its connections are refused). */
const replicas: ControlProc[] = [];
let node: NodeProc;
let adminToken = '';
let projectId = '';
let workspaceId = '';

/** A load balancer: round robin over the replicas, the next one when a replica refuses the connection. */
function startBalancer() {
  let next = 0;
  return Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await req.arrayBuffer();
      for (let tried = 0; tried < replicas.length; tried++) {
        const upstream = replicas[next++ % replicas.length] as ControlProc;
        try {
          return await fetch(`${upstream.url}${url.pathname}${url.search}`, {
            method: req.method,
            headers: req.headers,
            body,
            redirect: 'manual',
          });
        } catch {
          // That replica is down: the next one.
        }
      }
      return Response.json({ error: { code: 'unavailable', message: 'no replica' } }, { status: 503 });
    },
  });
}

const client = (url: string) => createControlClient(url, { token: adminToken });

/** Which replica holds the duties lease, and its term, from the database. */
async function lease(): Promise<{ replica: ControlProc | undefined; term: number }> {
  const r = await db.execute("SELECT holder, term FROM leases WHERE name = 'control-duties'");
  const holder = String(r.rows[0]?.holder ?? '');
  return {
    replica: replicas.find((p) => holder === `${hostname()}:${p.dataDir}`),
    term: Number(r.rows[0]?.term ?? 0),
  };
}

interface KeyRow {
  kid: string;
  createdAt: number;
  activatesAt: number;
  retiredAt: number | null;
}
async function keys(): Promise<KeyRow[]> {
  const r = await db.execute(
    'SELECT kid, created_at, activates_at, retired_at FROM signing_keys ORDER BY activates_at, kid',
  );
  return r.rows.map((row) => ({
    kid: String(row.kid),
    createdAt: Number(row.created_at),
    activatesAt: Number(row.activates_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
  }));
}

/**
 * Each rotation retired exactly the key before it and was made only once that key was due: two replicas (or a
 * paused holder and its successor) rotating for the same due key would leave two keys made in one interval.
 */
function expectRotatedOnceEach(rows: KeyRow[]) {
  expect(rows.filter((k) => k.retiredAt === null)).toHaveLength(1);
  for (let i = 1; i < rows.length; i++) {
    const before = rows[i - 1] as KeyRow;
    const key = rows[i] as KeyRow;
    expect(before.retiredAt).toBe(key.activatesAt);
    expect(key.createdAt).toBeGreaterThanOrEqual(before.activatesAt + ROTATION_MS);
  }
}

beforeAll(async () => {
  sqld = await startSqld();
  db = createClient({ url: sqld.url });
  balancer = startBalancer();
  const lb = `http://127.0.0.1:${balancer.port}`;
  const env = {
    ...TEST_MESH_ENV,
    WARREN_DB_URL: sqld.url,
    // What replicas must share: the database, the master key (it opens the signing keys) and the issuer.
    WARREN_MASTER_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
    WARREN_ISSUER: lb,
    WARREN_LEASE_TTL_MS: String(LEASE_TTL_MS),
    WARREN_KEY_ROTATION_INTERVAL_MS: String(ROTATION_MS),
    // Longer than a node's heartbeat (10 s), which brings it the key set: a key never signs before the node has it.
    WARREN_KEY_PUBLISH_LEAD_MS: String(PUBLISH_LEAD_MS),
    // A task the killed holder left mid-dispatch is taken over this soon (a live dispatch here takes < 1 s).
    WARREN_TASK_STALE_PLACING_MS: '5000',
    // Every request of this test comes from 127.0.0.1 through one balancer.
    WARREN_RATE_LIMITS: JSON.stringify({
      tokenMint: { burst: 100_000, perMinute: 100_000 },
      failedAuth: { burst: 100_000, perMinute: 100_000 },
    }),
  };
  // The first replica migrates the database and makes the admin; the second joins it.
  replicas.push(await startControlProcess({ env, dataDir: tempDir('warren-replica-a-') }));
  adminToken = replicas[0]!.adminToken;
  replicas.push(await startControlProcess({ env, dataDir: tempDir('warren-replica-b-') }));
  const jt = await client(lb).POST('/api/v1/join-tokens', { body: {} });
  node = await startNodeProcess({
    controlUrl: lb,
    joinToken: jt.data!.token,
    name: 'replicated',
    env: { ...TEST_MESH_ENV, WARREN_RUNTIME: 'process' },
  });
}, 60_000);

afterAll(async () => {
  await stopProcess(node);
  for (const r of replicas) await stopProcess(r);
  balancer?.stop(true);
  db?.close();
  await sqld?.stop();
});

describe('Two control plane replicas on one sqld', () => {
  it('serve one API, sessions and event stream: what goes through one is seen through the other', async () => {
    const [a, b] = replicas as [ControlProc, ControlProc];
    expect((await lease()).replica).toBe(a);
    const project = await client(a.url).POST('/api/v1/projects', { body: { name: 'replicated' } });
    projectId = project.data!.id;
    const onB = await client(b.url).GET('/api/v1/projects/{id}', { params: { path: { id: projectId } } });
    expect(onB.data?.name).toBe('replicated');

    // A session made by signing in on A is good on B.
    const link = (await Bun.file(`${a.dataDir}/login-link.txt`).text()).trim();
    const signIn = await fetch(link, { redirect: 'manual' });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${b.url}/api/v1/auth/me`, { headers: { cookie } })).status).toBe(200);

    // B's event stream shows a workspace created through A, and announces its activity.
    const stream = await fetch(`${b.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const reader = stream.body!.getReader();
    let seen = '';
    const created = await client(a.url).POST('/api/v1/workspaces', {
      body: {
        name: 'agent',
        projectId,
        nodeId: node.nodeId,
        agentCommand: `exec ${process.execPath} ${FIXTURE_AGENT}`,
      },
    });
    expect(created.response.status).toBeLessThan(300);
    workspaceId = created.data!.id;
    await eventually(
      async () => {
        const { value } = await reader.read();
        seen += new TextDecoder().decode(value);
        return (
          seen.includes(`"type":"workspace","workspace":{"id":"${workspaceId}"`) &&
          seen.includes(`{"type":"activity","workspaceId":"${workspaceId}"}`)
        );
      },
      "B's stream to show the workspace A created and its activity",
      15_000,
    );
    await reader.cancel();
    await eventually(
      async () =>
        (await client(b.url).GET('/api/v1/workspaces/{id}', { params: { path: { id: workspaceId } } })).data
          ?.status === 'running',
      'the workspace to run',
      20_000,
    );
  }, 60_000);

  it('a holder paused past its lease wakes up as a standby: the other took over and nothing rotated twice', async () => {
    const [a, b] = replicas as [ControlProc, ControlProc];
    // Rotations are running on A.
    await eventually(async () => (await keys()).length >= 2, 'a first rotation', 15_000);
    const before = await lease();
    a.kill('SIGSTOP');
    try {
      await eventually(async () => (await lease()).replica === b, 'B to take the lease', 15_000);
      // B rotates on its own now.
      const count = (await keys()).length;
      await eventually(async () => (await keys()).length > count, 'a rotation by B', ROTATION_WAIT_MS);
    } finally {
      a.kill('SIGCONT');
    }
    // A's renew finds a newer term: it stops its duties and serves the API as a standby.
    await eventually(() => a.logs.join('').includes('"lease lost, duties stop"'), 'A to step down', 15_000);
    const after = await lease();
    expect(after.replica).toBe(b);
    expect(after.term).toBeGreaterThan(before.term);
    expect((await client(a.url).GET('/api/v1/projects')).response.status).toBe(200);
    expectRotatedOnceEach(await keys());
  }, 60_000);

  it('when the holder is killed under load the other takes over within seconds; no key rotated twice, no task dispatched twice', async () => {
    const holder = (await lease()).replica as ControlProc;
    const survivor = replicas.find((r) => r !== holder) as ControlProc;
    const termBefore = (await lease()).term;
    const answers = new Map<ControlProc, { ok: number; failed: number }>(
      replicas.map((r) => [r, { ok: 0, failed: 0 }]),
    );
    let killed = false;
    let stop = false;
    const tasks = new Map<string, string>();
    // Load on both replicas: project writes and reads, and tasks submitted alternately through each.
    const load = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const target = replicas[(w + i) % replicas.length] as ControlProc;
        const tally = answers.get(target)!;
        try {
          const r =
            i % 3 === 0
              ? await client(target.url).POST('/api/v1/projects', { body: { name: `load-${w}-${i}` } })
              : await client(target.url).GET('/api/v1/projects');
          if (r.response.status === 200) tally.ok++;
          else tally.failed++;
        } catch {
          // The killed replica refuses connections; any other failure is counted against the survivor below.
          if (!(killed && target === holder)) tally.failed++;
        }
      }
    };
    const submit = async (key: string, via: ControlProc) => {
      const r = await client(via.url).POST('/api/v1/tasks', {
        body: { projectId, prompt: `task ${key}`, idempotencyKey: key },
      });
      expect(r.response.status).toBe(200);
      const id = r.data!.id;
      // The same key through the other replica (while it lives) is the same task.
      const other = replicas.find((x) => x !== via) as ControlProc;
      if (!(killed && other === holder)) {
        const again = await client(other.url).POST('/api/v1/tasks', {
          body: { projectId, prompt: `task ${key}`, idempotencyKey: key },
        });
        expect(again.data?.id).toBe(id);
      }
      tasks.set(key, id);
    };
    const loaders = [0, 1, 2, 3].map((w) => load(w));
    for (let i = 0; i < 4; i++) await submit(`before-${i}`, replicas[i % 2] as ControlProc);

    holder.kill('SIGKILL');
    await holder.exited;
    killed = true;
    const killedAt = Date.now();
    await eventually(
      async () => (await lease()).replica === survivor,
      'the survivor to take the lease',
      15_000,
    );
    const takeoverMs = Date.now() - killedAt;
    console.log(`lease taken over ${takeoverMs} ms after the holder was killed (ttl ${LEASE_TTL_MS} ms)`);
    expect((await lease()).term).toBeGreaterThan(termBefore);

    for (let i = 0; i < 4; i++) await submit(`after-${i}`, survivor);
    const keyCount = (await keys()).length;
    await eventually(
      async () => (await keys()).length > keyCount,
      'a rotation by the survivor',
      ROTATION_WAIT_MS,
    );
    await eventually(
      async () => {
        const list = await client(survivor.url).GET('/api/v1/tasks');
        const mine = (list.data?.items ?? []).filter((t) => [...tasks.values()].includes(t.id));
        if (mine.length === tasks.size && mine.every((t) => t.status === 'completed')) return true;
        // What is left, for the failure message.
        throw new Error(
          JSON.stringify(mine.filter((t) => t.status !== 'completed').map((t) => [t.status, t.outcome])),
        );
      },
      'every task to complete',
      30_000,
    );
    stop = true;
    await Promise.all(loaders);

    // The survivor answered every request it got, before and after the kill.
    const s = answers.get(survivor)!;
    expect(s.failed).toBe(0);
    expect(s.ok).toBeGreaterThan(0);
    // Each task reached the agent exactly once, whichever replica submitted or swept it: the node's transcript
    // holds one prompt per task.
    const transcript = createClient({ url: `file:${node.dataDir}/agent-transcripts.db` });
    try {
      const prompts = await transcript.execute("SELECT data FROM agent_events WHERE kind = 'prompt'");
      const texts = prompts.rows.map((r) => (JSON.parse(String(r.data)) as { text: string }).text);
      for (const key of tasks.keys()) expect(texts.filter((t) => t === `task ${key}`)).toHaveLength(1);
    } finally {
      transcript.close();
    }
    expectRotatedOnceEach(await keys());
    // The node kept heartbeating through the balancer: the survivor sees it online.
    await eventually(
      async () =>
        (await client(survivor.url).GET('/api/v1/nodes')).data?.items.find((n) => n.id === node.nodeId)
          ?.status === 'online',
      'the node online at the survivor',
      20_000,
    );
  }, 120_000);
});
