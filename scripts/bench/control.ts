// `bun run bench control`: token mints/s, workspace creates/s and API latency on a libSQL file and on sqld.

import {
  createTestNodeKey,
  type RunningSqld,
  startPushRecorder,
  startSqld,
  startTestControl,
  type TestControl,
} from '../../control/testing/index.ts';
import type { Bench } from './main.ts';

const PHASE_MS = 3_000; // each throughput phase; two backends × three phases stays well under a minute
const CONCURRENCY = 8;
const LATENCY_SAMPLES = 1_000;

/** Runs `op` from CONCURRENCY loops for PHASE_MS; returns completed operations per second. */
async function throughput(op: () => Promise<void>): Promise<number> {
  let done = 0;
  const end = performance.now() + PHASE_MS;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await op();
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(control: TestControl) {
  const node = startPushRecorder();
  try {
    const c = control.client;
    const jt = await c.POST('/api/v1/join-tokens', { body: {} });
    const key = await createTestNodeKey();
    await control.clientWith().POST('/api/v1/nodes/join', {
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
    const must = (r: { response: Response }) => {
      if (!r.response.ok) throw new Error(`bench request failed with ${r.response.status}`);
    };

    const mints = await throughput(async () =>
      must(
        await c.POST('/api/v1/workspaces/{id}/tokens', {
          params: { path: { id } },
          body: { scopes: ['http'] },
        }),
      ),
    );
    let n = 0;
    const creates = await throughput(async () =>
      must(await c.POST('/api/v1/workspaces', { body: { name: `w${n++}`, projectId } })),
    );
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const t = performance.now();
      must(await c.GET('/api/v1/workspaces/{id}', { params: { path: { id } } }));
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    return { mints, creates, p50: percentile(samples, 50), p99: percentile(samples, 99) };
  } finally {
    await node.stop();
  }
}

const bench: Bench = async () => {
  const rows: string[] = [];
  const backends: { name: string; start: () => Promise<{ control: TestControl; sqld?: RunningSqld }> }[] = [
    { name: 'libSQL file', start: async () => ({ control: await startTestControl() }) },
    {
      name: 'sqld (HTTP)',
      start: async () => {
        const sqld = await startSqld();
        return { control: await startTestControl({ dbUrl: sqld.url }), sqld };
      },
    },
  ];
  for (const b of backends) {
    const { control, sqld } = await b.start();
    try {
      const r = await measure(control);
      rows.push(
        `| ${b.name} | ${r.mints.toFixed(0)} | ${r.creates.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
      );
    } finally {
      await control.stop();
      await sqld?.stop();
    }
  }
  console.log(
    `Concurrency ${CONCURRENCY}, ${PHASE_MS / 1000} s per throughput phase; latency: GET /api/v1/workspaces/{id}, ${LATENCY_SAMPLES} sequential calls.\n`,
  );
  console.log('| database | workspace-token mints/s | workspace creates/s | p50 ms | p99 ms |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
};

export default bench;
