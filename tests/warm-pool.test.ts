// End to end: a warm pool of 2 with the `local` provider (real node processes) behind the real API: ten
// concurrent workspace creations never share a node, the pool refills, released nodes are reaped when idle, and a
// task with no workspace gets one made for it on a warm node.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import {
  defaultInfraConfig,
  eventually,
  startTestControl,
  type TestControl,
} from '../control/testing/index.ts';
import { FIXTURE_AGENT } from '../node/testing/index.ts';

let control: TestControl;
let projectId: string;

interface PoolRow {
  id: string;
  state: string;
  claimed_by: string | null;
}

async function poolRows(): Promise<PoolRow[]> {
  const r = await control.deps.database.client.execute(
    'SELECT id, state, claimed_by FROM warm_nodes ORDER BY id',
  );
  return r.rows.map((row) => ({
    id: String(row.id),
    state: String(row.state),
    claimed_by: row.claimed_by === null ? null : String(row.claimed_by),
  }));
}

const warm = async () => (await poolRows()).filter((r) => r.state === 'warm');

beforeAll(async () => {
  control = await startTestControl({
    config: {
      heartbeatIntervalMs: 300,
      taskSweepMs: 150,
      infra: {
        ...defaultInfraConfig(),
        // Short idle timeout and maintenance tick so reaping shows within the test; timings, not behaviour.
        warmPool: { minWarm: 2, idleTimeoutMs: 1_000, scope: 'instance', maintainEveryMs: 200 },
      },
    },
  });
  const project = await control.client.POST('/api/v1/projects', { body: { name: 'pool' } });
  projectId = project.data!.id;
});
afterAll(async () => {
  await control.stop();
});

describe('Warm pool (local provider, real API)', () => {
  let first: string[];
  let workspaces: { id: string; nodeId: string | null }[];

  it('fills the pool with 2 warm nodes that ordinary placement does not use', async () => {
    const rows = await eventually(
      async () => {
        const w = await warm();
        return w.length === 2 ? w : undefined;
      },
      '2 warm nodes',
      30_000,
    );
    first = rows!.map((r) => r.id);
    const nodes = (await control.client.GET('/api/v1/nodes')).data!.items;
    for (const id of first) {
      const node = nodes.find((n) => n.id === id);
      expect(node?.status).toBe('online');
      expect(node?.labels['warren.pool']).toBe('instance');
      // Each pool node's progress is in the API, in order.
      const r = await control.client.GET('/api/v1/nodes/{id}/provisioning', { params: { path: { id } } });
      expect(r.data?.state).toBe('ready');
      expect(r.data?.events.map((e) => `${e.step}:${e.state}`)).toEqual([
        'join_token:started',
        'join_token:done',
        'machine:started',
        'machine:done',
        'node_started:started',
        'node_started:done',
      ]);
    }
  });

  it('gives 10 concurrent workspace creations 10 different nodes: the 2 warm ones claimed, 8 provisioned', async () => {
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        control.client.POST('/api/v1/workspaces', { body: { projectId, name: `w${i}` } }),
      ),
    );
    for (const c of created) expect(c.response.status).toBe(200);
    workspaces = created.map((c) => ({ id: c.data!.id, nodeId: c.data!.nodeId }));
    const nodeIds = workspaces.map((w) => w.nodeId);
    expect(nodeIds.every(Boolean)).toBe(true);
    expect(new Set(nodeIds).size).toBe(10);
    for (const id of first) expect(nodeIds).toContain(id);
    const claimed = (await poolRows()).filter((r) => r.state === 'claimed');
    expect(claimed.length).toBe(10);
    expect(new Set(claimed.map((r) => r.claimed_by)).size).toBe(10);
    for (const w of workspaces) expect(claimed.find((r) => r.claimed_by === w.id)?.id).toBe(w.nodeId!);
    // Every node hosts exactly its one workspace.
    const nodes = (await control.client.GET('/api/v1/nodes')).data!.items;
    for (const w of workspaces) expect(nodes.find((n) => n.id === w.nodeId)?.workspaceCount).toBe(1);
  });

  it('refuses to delete a claimed pool node (409)', async () => {
    const id = workspaces[0]!.nodeId!;
    const d = await control.client.DELETE('/api/v1/nodes/{id}', { params: { path: { id } } });
    expect(d.response.status).toBe(409);
  });

  it('refills the pool to 2 warm nodes after the claims', async () => {
    const rows = await eventually(
      async () => {
        const w = await warm();
        return w.length === 2 ? w : undefined;
      },
      'the pool refilled',
      30_000,
    );
    for (const r of rows!) expect(workspaces.map((w) => w.nodeId)).not.toContain(r.id);
  });

  it('deletes a warm node through the API (marked reaping first, so no claim can take it) and refills', async () => {
    const [victim] = await warm();
    const d = await control.client.DELETE('/api/v1/nodes/{id}', { params: { path: { id: victim!.id } } });
    expect(d.response.status).toBe(202);
    expect((await poolRows()).find((r) => r.id === victim!.id)?.state ?? 'gone').not.toBe('warm');
    await eventually(
      async () => {
        const w = await warm();
        return w.length === 2 && !w.some((r) => r.id === victim!.id);
      },
      'the deleted warm node replaced',
      30_000,
    );
  });

  it('releases nodes when their workspaces are deleted and reaps the idle ones down to 2', async () => {
    await Promise.all(
      workspaces.map((w) =>
        control.client.DELETE('/api/v1/workspaces/{id}', { params: { path: { id: w.id } } }),
      ),
    );
    // Released nodes become warm again, then the idle surplus is reaped: 2 warm nodes remain, nothing claimed.
    const rows = await eventually(
      async () => {
        const all = await poolRows();
        return all.length === 2 && all.every((r) => r.state === 'warm') ? all : undefined;
      },
      'the idle surplus reaped',
      60_000,
    );
    const nodes = (await control.client.GET('/api/v1/nodes')).data!.items;
    expect(nodes.map((n) => n.id).sort()).toEqual(rows!.map((r) => r.id).sort());
    const running = (await control.deps.fleet.provider.list()).map((n) => n.nodeId).sort();
    expect(running).toEqual(rows!.map((r) => r.id).sort());
  });

  it('gives a task with no idle workspace a new one, made from the project defaults on a warm node', async () => {
    await control.client.PATCH('/api/v1/projects/{id}', {
      params: { path: { id: projectId } },
      body: { agentCommand: `exec ${process.execPath} ${FIXTURE_AGENT}` },
    });
    const warmBefore = (await warm()).map((r) => r.id);
    const submitted = await control.client.POST('/api/v1/tasks', {
      body: { projectId, prompt: 'hello pool' },
    });
    const id = submitted.data!.id;
    const done = await eventually(
      async () => {
        const t = (await control.client.GET('/api/v1/tasks/{id}', { params: { path: { id } } })).data;
        return t && ['completed', 'failed'].includes(t.status) ? t : undefined;
      },
      'the task to end',
      60_000,
    );
    expect(done).toMatchObject({ status: 'completed', summary: 'echo: hello pool' });
    const ws = (
      await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id: done!.workspaceId! } } })
    ).data!;
    expect(ws.taskId).toBe(id);
    expect(warmBefore).toContain(ws.nodeId!);
    expect((await poolRows()).find((r) => r.id === ws.nodeId)?.claimed_by).toBe(ws.id);
  }, 90_000);
});

describe('Warm pools per project', () => {
  it("warms a project's pool after its first workspace and never hands its nodes to another project", async () => {
    const perProject = await startTestControl({
      config: {
        heartbeatIntervalMs: 300,
        infra: {
          ...defaultInfraConfig(),
          warmPool: { minWarm: 1, idleTimeoutMs: 60_000, scope: 'project', maintainEveryMs: 200 },
        },
      },
    });
    try {
      const rows = async () =>
        (await perProject.deps.database.client.execute('SELECT id, pool, state FROM warm_nodes')).rows.map(
          (r) => ({ id: String(r.id), pool: String(r.pool), state: String(r.state) }),
        );
      const a = (await perProject.client.POST('/api/v1/projects', { body: { name: 'a' } })).data!.id;
      const b = (await perProject.client.POST('/api/v1/projects', { body: { name: 'b' } })).data!.id;
      const first = await perProject.client.POST('/api/v1/workspaces', {
        body: { projectId: a, name: 'a1' },
      });
      expect(first.data?.nodeId).toBeTruthy();
      // Project a's pool now keeps one warm node.
      const warmA = await eventually(
        async () => (await rows()).find((r) => r.pool === a && r.state === 'warm'),
        "project a's warm node",
        30_000,
      );
      const other = await perProject.client.POST('/api/v1/workspaces', {
        body: { projectId: b, name: 'b1' },
      });
      expect(other.data?.nodeId).toBeTruthy();
      expect(other.data?.nodeId).not.toBe(warmA!.id);
      expect((await rows()).find((r) => r.id === warmA!.id)?.state).toBe('warm');
      const second = await perProject.client.POST('/api/v1/workspaces', {
        body: { projectId: a, name: 'a2' },
      });
      expect(second.data?.nodeId).toBe(warmA!.id);
    } finally {
      await perProject.stop();
    }
  }, 90_000);
});
