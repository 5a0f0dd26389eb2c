// `bun run bench control`: token mints/s, workspace creates/s and API latency on a libSQL file and on sqld, with
// one control plane and with two replicas (`warren control` processes) on one sqld.

import {
  createTestNodeKey,
  localHardeningConfig,
  type RunningSqld,
  startPushRecorder,
  startSqld,
  startTestControl,
  type TestControl,
} from '../../control/testing/index.ts';
import { type ControlClient, createControlClient } from '../../openapi/client/index.ts';
import { type ControlProc, startControlProcess, stopProcess, tempDir } from '../../tests/testing/index.ts';
import type { Bench } from './main.ts';

const PHASE_MS = 3_000; // each throughput phase: five setups × four phases stay around a minute and a half
const CONCURRENCY = 8;
const LATENCY_SAMPLES = 1_000;

/**
 * Runs `op` from CONCURRENCY loops for PHASE_MS, or until it answers `undefined` (nothing left to do); returns
 * completed operations per second (`false`: failed).
 */
async function throughput(op: () => Promise<boolean | undefined>): Promise<number> {
  let done = 0;
  let over = false;
  const end = performance.now() + PHASE_MS;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (!over && performance.now() < end) {
        const ok = await op();
        if (ok === undefined) over = true;
        else if (ok) done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** The control plane(s) under test: one admin client per replica (requests are spread over them), one anonymous. */
interface Target {
  clients: ControlClient[];
  anonymous: ControlClient;
}

const inProcess = (control: TestControl): Target => ({
  clients: [control.client],
  anonymous: control.clientWith(),
});

async function measure(target: Target) {
  const node = startPushRecorder();
  try {
    let turn = 0;
    /** The next replica's client, round robin, as a load balancer without stickiness would. */
    const spread = () => target.clients[turn++ % target.clients.length] as ControlClient;
    const c = target.clients[0] as ControlClient;
    const jt = await c.POST('/api/v1/join-tokens', { body: {} });
    const key = await createTestNodeKey();
    await target.anonymous.POST('/api/v1/nodes/join', {
      body: {
        joinToken: jt.data!.token,
        name: 'bench',
        publicKey: key.publicKey,
        address: node.url,
        capacity: { workspaces: 10_000 },
      },
    });
    const project = await c.POST('/api/v1/projects', { body: { name: 'bench' } });
    const projectId = project.data!.id;
    const ws = await c.POST('/api/v1/workspaces', { body: { name: 'target', projectId } });
    const id = ws.data!.id;
    // A 5xx under write contention (SQLITE_BUSY) is counted and reported, not fatal: the run still gives figures.
    let failed = 0;
    const must = (r: { response: Response }) => {
      if (r.response.ok) return true;
      if (r.response.status < 500) throw new Error(`bench request failed with ${r.response.status}`);
      failed++;
      return false;
    };

    let n = 0;
    const created: string[] = [];
    const creates = await throughput(async () => {
      const r = await spread().POST('/api/v1/workspaces', { body: { name: `w${n++}`, projectId } });
      if (r.data) created.push(r.data.id);
      return must(r);
    });
    const mintFor = async (workspaceId: string) =>
      must(
        await spread().POST('/api/v1/workspaces/{id}/tokens', {
          params: { path: { id: workspaceId } },
          body: { scopes: ['http'] },
        }),
      );
    // One workspace minted for again and again (a page's terminal, app and agent tokens): its read is reused.
    const mints = await throughput(() => mintFor(id));
    // Each mint for a workspace not minted for yet (each of those just created once): every one reads the
    // database. The phase ends early when they run out.
    let next = 0;
    const coldMints = await throughput(async () => {
      const workspaceId = created[next++];
      return workspaceId === undefined ? undefined : mintFor(workspaceId);
    });
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const t = performance.now();
      must(await spread().GET('/api/v1/workspaces/{id}', { params: { path: { id } } }));
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    return { mints, coldMints, creates, p50: percentile(samples, 50), p99: percentile(samples, 99), failed };
  } finally {
    await node.stop();
  }
}

/**
 * `replicas` `warren control` processes on one database, sharing what replicas must share (database, master key,
 * issuer); the first migrates and makes the admin. `file`: one process on its own database file (no replicas).
 */
async function startProcesses(database: 'file' | 'sqld', replicas = 1) {
  const sqld = database === 'sqld' ? await startSqld() : undefined;
  const env = {
    ...(sqld ? { WARREN_DB_URL: sqld.url } : {}),
    WARREN_MASTER_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
    WARREN_ISSUER: 'http://control.bench',
    // Every bench request comes from 127.0.0.1.
    WARREN_RATE_LIMITS: JSON.stringify({
      tokenMint: { burst: 1_000_000, perMinute: 1_000_000 },
      nodeJoin: { burst: 1_000, perMinute: 1_000 },
      failedAuth: { burst: 1_000, perMinute: 1_000 },
    }),
  };
  const procs: ControlProc[] = [];
  try {
    for (let i = 0; i < replicas; i++)
      procs.push(await startControlProcess({ env, dataDir: tempDir('warren-bench-') }));
  } catch (e) {
    for (const p of procs) await stopProcess(p);
    await sqld?.stop();
    throw e;
  }
  const token = procs[0]?.adminToken ?? '';
  return {
    target: {
      clients: procs.map((p) => createControlClient(p.url, { token })),
      anonymous: createControlClient(procs[0]?.url ?? ''),
    },
    async stop() {
      for (const p of procs) await stopProcess(p);
      await sqld?.stop();
    },
  };
}

/** Every bench request comes from 127.0.0.1: limits no phase reaches. */
const UNLIMITED = { burst: 1_000_000, perMinute: 1_000_000 };
const BENCH_HARDENING = {
  ...localHardeningConfig(),
  rateLimits: { signIn: UNLIMITED, nodeJoin: UNLIMITED, tokenMint: UNLIMITED, failedAuth: UNLIMITED },
};

const bench: Bench = async () => {
  const rows: string[] = [];
  const figures = new Map<string, { mints: number; coldMints: number; creates: number }>();
  const setups: { name: string; start: () => Promise<{ target: Target; stop(): Promise<void> }> }[] = [
    {
      name: 'libSQL file, in-process',
      start: async () => {
        const control = await startTestControl({ config: { hardening: BENCH_HARDENING } });
        return { target: inProcess(control), stop: () => control.stop() };
      },
    },
    {
      name: 'sqld (HTTP), in-process',
      start: async () => {
        const sqld: RunningSqld = await startSqld();
        const control = await startTestControl({ dbUrl: sqld.url, config: { hardening: BENCH_HARDENING } });
        return {
          target: inProcess(control),
          async stop() {
            await control.stop();
            await sqld.stop();
          },
        };
      },
    },
    { name: 'libSQL file, 1 control process', start: () => startProcesses('file') },
    { name: 'sqld, 1 replica process', start: () => startProcesses('sqld', 1) },
    { name: 'sqld, 2 replica processes', start: () => startProcesses('sqld', 2) },
  ];
  for (const b of setups) {
    const { target, stop } = await b.start();
    try {
      const r = await measure(target);
      figures.set(b.name, r);
      rows.push(
        `| ${b.name} | ${r.mints.toFixed(0)} | ${r.coldMints.toFixed(0)} | ${r.creates.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.failed} |`,
      );
    } finally {
      await stop();
    }
  }
  console.log(
    `Concurrency ${CONCURRENCY}, ${PHASE_MS / 1000} s per throughput phase; latency: GET /api/v1/workspaces/{id}, ${LATENCY_SAMPLES} sequential calls.\n` +
      'In-process rows share one thread with the client; replica processes are `warren control` processes behind a ' +
      'client that spreads requests round robin (no stickiness).\n',
  );
  console.log(
    '| setup | mints/s, one workspace | mints/s, each for a workspace not minted for yet | workspace creates/s | p50 ms | p99 ms | 5xx answers |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  // The goal for sqld: at least half the file's figures, both served by a `warren control` process.
  const file = figures.get('libSQL file, 1 control process');
  const sqld = figures.get('sqld, 1 replica process');
  if (file && sqld)
    console.log(
      `\nsqld / file, one control process each: mints ${(sqld.mints / file.mints).toFixed(2)} (a new workspace each: ${(sqld.coldMints / file.coldMints).toFixed(2)}), creates ${(sqld.creates / file.creates).toFixed(2)}`,
    );
};

export default bench;
