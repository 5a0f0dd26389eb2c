// Real `warren control` + N `warren node join` processes on loopback, production mesh timings: propagation,
// bandwidth, and kill -9 → 503 at another node. Used by `bun run bench mesh` next to the simulator rows.
import { rmSync } from 'node:fs';
import { ECHO_APP } from '../../node/testing/index.ts';
import { createControlClient } from '../../openapi/client/index.ts';
import { type NodeProc, startControlProcess, startNodeProcess, stopProcess } from '../../tests/index.ts';

/** Longest wait for every registry to hold every member entry before measuring on. */
const CONVERGE_CAP_MS = 40_000;

/** One row of the real-process table. */
export interface ProcessReport {
  members: number;
  p99Ms: number;
  p100Ms: number;
  bytesPerMemberPerSec: number;
  /** All members alive everywhere → every registry equal (member entries spread); null past the cap. */
  joinConvergedMs: number | null;
  /** kill -9 of a hosting node → the first 503 at another node. */
  killTo503Ms: number;
  /** kill -9 → the other node's membership holds it dead. */
  killToDeadMs: number;
  wallMs: number;
}

interface Status {
  members: { id: string; state: string }[];
  registry: { digest: Record<string, number>; entries: { member: number; revocation: number } };
  metrics: { gossipBytesOut: number; syncBytesOut: number };
}
const status = async (n: NodeProc): Promise<Status> =>
  (await (
    await fetch(`${n.url}/_node/members`, { headers: { authorization: `Bearer ${n.adminCredential}` } })
  ).json()) as Status;

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** Starts control + `n` nodes with production timings (WARREN_MESH_PROFILE=default), measures, stops them. */
export async function measureProcesses(n: number, log: (s: string) => void): Promise<ProcessReport> {
  const started = Date.now();
  const env = { WARREN_MESH_PROFILE: 'default' };
  const control = await startControlProcess({ env });
  const client = createControlClient(control.url, { token: control.adminToken });
  const nodes: NodeProc[] = [];
  try {
    // Start in batches so 2 cores are not swamped by 50 simultaneous process starts.
    for (let i = 0; i < n; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, n - i) }, async (_, j) => {
          const jt = await client.POST('/api/v1/join-tokens', { body: {} });
          return startNodeProcess({
            controlUrl: control.url,
            joinToken: jt.data!.token,
            name: `bench-${i + j}`,
            env,
            timeoutMs: 60_000,
          });
        }),
      );
      nodes.push(...batch);
    }
    log(`  N=${n}: ${n} nodes started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await until(
      async () => {
        for (const x of nodes) {
          const s = await status(x);
          if (s.members.filter((m) => m.state === 'alive').length < n + 1) return undefined;
        }
        return true;
      },
      'every member alive everywhere',
      120_000,
    );

    // How long until every registry holds every member entry (each carries a ~650-byte certificate). The digest is a
    // watermark raised by push-pull, so it lags behind entries that arrived by gossip: count the entries instead.
    const aliveAt = Date.now();
    const converged = await until(
      async () => {
        if (Date.now() - aliveAt > CONVERGE_CAP_MS) return null;
        const counts = await Promise.all(nodes.map(async (x) => (await status(x)).registry.entries.member));
        return counts.every((c) => c >= n) ? Date.now() - aliveAt : undefined;
      },
      'every member entry everywhere',
      CONVERGE_CAP_MS + 10_000,
    );
    // Bandwidth: payload bytes every node sent over the next 10 s.
    const sent = async () => {
      let total = 0;
      for (const x of nodes) {
        const s = await status(x);
        total += s.metrics.gossipBytesOut + s.metrics.syncBytesOut;
      }
      return total;
    };
    const b0 = await sent();
    const t0 = Date.now();
    await Bun.sleep(10_000);
    const b1 = await sent();
    const bytesPerMemberPerSec = (b1 - b0) / n / ((Date.now() - t0) / 1000);

    // Propagation: a revocation published by the control plane, until each node holds one more revocation entry.
    const before = await Promise.all(nodes.map(async (x) => (await status(x)).registry.entries.revocation));
    const project = await client.POST('/api/v1/projects', { body: { name: 'bench' } });
    const host = nodes[nodes.length - 1] as NodeProc;
    const ws = await client.POST('/api/v1/workspaces', {
      body: {
        name: 'bench',
        projectId: project.data!.id,
        nodeId: host.nodeId,
        appCommand: `exec ${process.execPath} ${ECHO_APP}`,
      },
    });
    const id = ws.data!.id;
    const changedAt = Date.now();
    await client.POST('/api/v1/revocations', { body: { subject: `user:${'0'.repeat(22)}` } });
    const seenAt: number[] = [];
    const pending = new Set(nodes.map((_, i) => i));
    await until(
      async () => {
        await Promise.all(
          [...pending].map(async (i) => {
            const d = (await status(nodes[i] as NodeProc)).registry.entries.revocation;
            if (d > (before[i] as number)) {
              seenAt.push(Date.now() - changedAt);
              pending.delete(i);
            }
          }),
        );
        return pending.size === 0 ? true : undefined;
      },
      'the change everywhere',
      60_000,
    );
    seenAt.sort((a, b) => a - b);
    const p99Ms = seenAt[Math.max(0, Math.ceil(0.99 * seenAt.length) - 1)] as number;
    const p100Ms = seenAt[seenAt.length - 1] as number;

    // kill -9 of the host → 503 at another node, and → dead in that node's membership.
    await until(
      async () =>
        (await client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).data?.status === 'running'
          ? true
          : undefined,
      'the bench workspace running',
      30_000,
    );
    const token = (
      await client.POST('/api/v1/workspaces/{id}/tokens', {
        params: { path: { id } },
        body: { scopes: ['http'] },
      })
    ).data!.token;
    const ingress = nodes[0] as NodeProc;
    const call = async () => {
      const r = await fetch(`${ingress.url}/w/${id}/`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      return r.status;
    };
    await until(async () => ((await call()) === 200 ? true : undefined), 'routing to the host', 30_000);
    host.kill('SIGKILL');
    const killedAt = Date.now();
    await host.exited;
    const killTo503Ms = await until(
      async () => ((await call()) === 503 ? Date.now() - killedAt : undefined),
      '503',
      30_000,
    );
    const killToDeadMs = await until(
      async () =>
        (await status(ingress)).members.find((m) => m.id === host.nodeId)?.state === 'dead'
          ? Date.now() - killedAt
          : undefined,
      'dead',
      60_000,
    );
    return {
      members: n,
      p99Ms,
      p100Ms,
      joinConvergedMs: converged,
      bytesPerMemberPerSec,
      killTo503Ms,
      killToDeadMs,
      wallMs: Date.now() - started,
    };
  } finally {
    await Promise.all(nodes.map((x) => stopProcess(x, 'SIGKILL')));
    await stopProcess(control, 'SIGKILL');
    for (const x of nodes) rmSync(x.dataDir, { recursive: true, force: true });
    rmSync(control.dataDir, { recursive: true, force: true });
  }
}
