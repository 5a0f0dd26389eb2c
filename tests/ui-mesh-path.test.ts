// The mesh view and the request path against real processes: a control plane and two nodes on loopback, a
// workspace on one. GET /api/v1/mesh (generated client) routes it to its host; the workspace page in Chromium
// shows ingress → hosting node from that route and times a request entering at the other node, which forwards it.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ECHO_APP, eventually } from '../node/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';
import {
  type ControlProc,
  type NodeProc,
  startControlProcess,
  startNodeProcess,
  stopProcess,
  TEST_MESH_ENV,
} from './mesh-harness.ts';
import { launchUiBrowser, type UiBrowser } from './testing/index.ts';

const env = TEST_MESH_ENV;
let control: ControlProc;
let client: ReturnType<typeof createControlClient>;
let ui: UiBrowser;
const nodes: NodeProc[] = [];

const forwarded = async (n: NodeProc) => {
  const text = await (await fetch(`${n.url}/metrics`)).text();
  return Number(/warren_mesh_forwards_total\{outcome="forwarded"\} (\d+)/.exec(text)?.[1] ?? 0);
};

beforeAll(async () => {
  [control, ui] = await Promise.all([startControlProcess({ env }), launchUiBrowser()]);
  client = createControlClient(control.url, { token: control.adminToken });
  for (const name of ['host', 'entry']) {
    const jt = await client.POST('/api/v1/join-tokens', { body: {} });
    nodes.push(await startNodeProcess({ controlUrl: control.url, joinToken: jt.data!.token, name, env }));
  }
}, 60_000);
afterAll(async () => {
  await ui?.close();
  for (const n of nodes) await stopProcess(n);
  await stopProcess(control);
  for (const p of [...nodes, control]) if (p) rmSync(p.dataDir, { recursive: true, force: true });
});

describe('Mesh view and request path with real processes', () => {
  it('routes the workspace to its host in GET /api/v1/mesh, and the page times it through the other node', async () => {
    const [host, entry] = nodes as [NodeProc, NodeProc];
    const project = await client.POST('/api/v1/projects', { body: { name: 'mesh-path' } });
    const ws = await client.POST('/api/v1/workspaces', {
      body: {
        name: 'pathed',
        projectId: project.data!.id,
        nodeId: host.nodeId,
        appCommand: `exec ${process.execPath} ${ECHO_APP}`,
      },
    });
    expect(ws.response.status).toBeLessThan(300);
    const id = ws.data!.id;
    const view = await eventually(
      async () => {
        const r = await client.GET('/api/v1/mesh');
        const route = r.data?.routes.find((x) => x.workspaceId === id && x.status === 'running');
        return route && r.data!.members.filter((m) => m.state === 'alive').length === 3 ? r.data : undefined;
      },
      'the running workspace routed in the mesh view, three members alive',
      30_000,
    );
    expect(view!.routes.find((x) => x.workspaceId === id)).toMatchObject({
      nodeId: host.nodeId,
      available: true,
    });
    expect(view!.members.find((m) => m.id === entry.nodeId)).toMatchObject({
      name: 'entry',
      proxyUrl: entry.url,
    });
    expect(view!.members.filter((m) => m.control)).toHaveLength(1);

    const before = await forwarded(entry);
    await ui.run('mesh-request-path', async (page) => {
      await page.goto(readFileSync(join(control.dataDir, 'login-link.txt'), 'utf8').trim());
      await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
      await page.goto(`${control.url}/workspaces/${id}`);
      await page.getByRole('heading', { name: 'Request path' }).waitFor();
      await page.locator('[data-hop="ingress"]', { hasText: 'entry' }).waitFor();
      expect(await page.locator('[data-hop="hosting"]').textContent()).toContain('host');
      await page.locator('[data-latency="direct"]', { hasText: / ms$/ }).waitFor();
      await page.locator('[data-latency="mesh"]', { hasText: / ms$/ }).waitFor();
    });
    // The timed requests through the other node really crossed the mesh.
    expect((await forwarded(entry)) - before).toBeGreaterThanOrEqual(3);
  }, 90_000);
});
