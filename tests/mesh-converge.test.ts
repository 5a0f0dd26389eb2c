// "Not known yet" is not "does not exist": real node processes answer 503 for a workspace their registry has not
// learned yet and 404 only once they could know; a deleted workspace's entry leaves every registry.
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
  type Proc,
  startMeshCluster,
  startNodeProcess,
  stopMeshCluster,
  stopProcess,
  TEST_MESH_CONFIG,
} from './mesh-harness.ts';

/** A converge window short enough to wait out in a test (production: 30 s). */
const WINDOW_MS = 2_000;
const env = {
  WARREN_MESH_CONFIG: JSON.stringify(TEST_MESH_CONFIG),
  WARREN_MESH_CONVERGE_WINDOW_MS: String(WINDOW_MS),
};
let control: ControlProc;
let client: ControlClient;
const nodes: NodeProc[] = [];
const byName = (n: string) => nodes.find((x) => x.name === n) as NodeProc;

const view = (n: NodeProc, path: '/_node/members' | '/_node/registry') =>
  fetch(`${n.url}${path}`, { headers: { authorization: `Bearer ${n.adminCredential}` } });

async function workspaceEntries(n: NodeProc, id: string) {
  const reg = (await (await view(n, '/_node/registry')).json()) as {
    items: { kind: string; value: { workspaceId?: string; status?: string } }[];
  };
  return reg.items.filter((e) => e.kind === 'workspace' && e.value.workspaceId === id);
}

const get = (n: NodeProc, id: string, token: string) => getWithToken(`${n.url}/w/${id}/hello`, token);
const createWorkspace = (name: string, on: NodeProc) => createRunningWorkspace(client, name, on.nodeId);
const token = (id: string) => httpToken(client, id);

/** Waits until `t` is older than the converge window: from then on only the registry decides 503 or 404. */
async function pastWindow(t: string) {
  const { iat } = decodeJwt(t);
  await eventually(() => Date.now() > iat! * 1000 + WINDOW_MS + 500, 'the token past the converge window');
}

beforeAll(async () => {
  const c = await startMeshCluster(['a', 'c', 'd'], env);
  control = c.control;
  client = c.client;
  nodes.push(...c.nodes);
}, 60_000);

afterAll(() => stopMeshCluster({ control, nodes }));

describe('Mesh convergence with real processes', () => {
  it('takes a deleted workspace out of every registry; then every node answers 404 for it', async () => {
    const a = byName('a');
    const id = await createWorkspace('deleted', byName('c'));
    const t = await token(id);
    await eventually(async () => (await get(a, id, t)).status === 200, 'A to route to C', 15_000);
    const del = await client.DELETE('/api/v1/workspaces/{id}', { params: { path: { id } } });
    expect(del.response.status).toBeLessThan(300);
    // Not merely `deleting` for ever: the entry itself goes, at every node.
    await eventually(
      async () => {
        for (const n of nodes) if ((await workspaceEntries(n, id)).length > 0) return false;
        return true;
      },
      'the entry gone from every registry',
      20_000,
    );
    await pastWindow(t);
    for (const n of nodes) {
      const r = await get(n, id, t);
      expect(r.status).toBe(404);
      expect(JSON.parse(r.text).error.code).toBe('not_found');
    }
  }, 60_000);

  it('answers 503 at a node that just restarted, not 404, until it learns of a workspace on another node', async () => {
    const id = await createWorkspace('elsewhere', byName('c'));
    const t = await token(id);
    const d = byName('d');
    await eventually(async () => (await get(d, id, t)).status === 200, 'D to route to C', 15_000);
    await pastWindow(t);
    // D restarts while every member it could learn from is frozen: its registry cannot sync.
    await stopProcess(d);
    const frozen: Proc[] = [control, byName('a'), byName('c')];
    for (const p of frozen) p.kill('SIGSTOP');
    let restarted: NodeProc;
    try {
      restarted = await startNodeProcess({ controlUrl: control.url, name: 'd', dataDir: d.dataDir, env });
      nodes[nodes.indexOf(d)] = restarted;
      const r = await get(restarted, id, t);
      expect(r.status).toBe(503);
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      const body = JSON.parse(r.text) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unavailable');
      expect(body.error.message).toContain('still learning');
    } finally {
      for (const p of frozen) p.kill('SIGCONT');
    }
    await eventually(
      async () => (await get(restarted, id, t)).status === 200,
      'the restarted node to learn the workspace and route to C',
      30_000,
    );
  }, 60_000);
});
