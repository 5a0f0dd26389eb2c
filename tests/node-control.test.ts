// End to end with the real control plane and a real node process: join, create a workspace, get a token, reach the
// app through the node's proxy, stop and revoke through the API, and keep working with the control plane killed.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { startTestControl, type TestControl } from '../control/testing/index.ts';
import { ECHO_APP, eventually, tempDataDir } from '../node/testing/index.ts';
import { NODE_READY, startWarren, untilWorkspaceStatus } from './testing/index.ts';

let control: TestControl;
let nodeProc: ReturnType<typeof Bun.spawn> | undefined;
let node: { nodeId: string; url: string };
const dataDir = tempDataDir();
let controlStopped = false;

beforeAll(async () => {
  control = await startTestControl({ config: { heartbeatIntervalMs: 300 } });
  const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
  const args = ['--control', control.url, '--join-token', jt.data!.token, '--data', dataDir];
  const started = await startWarren<{ nodeId: string; url: string }, 'inherit'>(
    ['node', 'join', ...args, '--listen', '127.0.0.1:0', '--name', 'e2e'],
    NODE_READY,
    'the node to join',
    { stderr: 'inherit' },
  );
  nodeProc = started.proc;
  node = started.ready;
});

afterAll(async () => {
  nodeProc?.kill('SIGTERM');
  await nodeProc?.exited;
  if (!controlStopped) await control.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function createWorkspace(name: string) {
  const project = await control.client.POST('/api/v1/projects', { body: { name: `p-${name}` } });
  expect(project.response.status).toBe(200);
  const ws = await control.client.POST('/api/v1/workspaces', {
    body: {
      name,
      projectId: project.data!.id,
      nodeId: node.nodeId,
      appCommand: `exec ${process.execPath} ${ECHO_APP}`,
    },
  });
  expect(ws.response.status).toBeLessThan(300);
  const id = ws.data!.id;
  await untilWorkspaceStatus(control.client, id, 'running', 'the control plane to see the workspace running');
  return id;
}

async function token(id: string, scopes: ('http' | 'terminal')[] = ['http']) {
  const t = await control.client.POST('/api/v1/workspaces/{id}/tokens', {
    params: { path: { id } },
    body: { scopes },
  });
  expect(t.response.status).toBe(200);
  return t.data!;
}

describe('Node with the real control plane', () => {
  it('shows the node online with the address it advertised', async () => {
    const nodes = await control.client.GET('/api/v1/nodes');
    const me = nodes.data!.items.find((n) => n.id === node.nodeId)!;
    expect(me.address).toBe(node.url);
    await eventually(
      async () =>
        (await control.client.GET('/api/v1/nodes')).data!.items.find((n) => n.id === node.nodeId)?.status ===
        'online',
      'the node online',
    );
  });

  it('runs a workspace the control plane places and serves it with a token the control plane minted', async () => {
    const id = await createWorkspace('e2e-a');
    const t = await token(id);
    expect(t.nodeUrl).toBe(node.url);
    const res = await fetch(`${t.nodeUrl}/w/${id}/hello`, {
      headers: { authorization: `Bearer ${t.token}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { path: string }).path).toBe('/hello');
    expect((await fetch(`${node.url}/w/${id}/hello`)).status).toBe(401);
  });

  it('stops a workspace when asked through the API', async () => {
    const id = await createWorkspace('e2e-stop');
    const t = await token(id);
    const stop = await control.client.POST('/api/v1/workspaces/{id}/stop', { params: { path: { id } } });
    expect(stop.response.status).toBeLessThan(300);
    await eventually(async () => {
      const r = await fetch(`${node.url}/w/${id}/`, { headers: { authorization: `Bearer ${t.token}` } });
      await r.arrayBuffer();
      return r.status === 503;
    }, 'the node to stop the workspace');
    await untilWorkspaceStatus(control.client, id, 'stopped', 'the control plane to see it stopped');
  });

  it('enforces a revocation published by the control plane', async () => {
    const id = await createWorkspace('e2e-revoke');
    const t = await token(id);
    const call = () =>
      fetch(`${node.url}/w/${id}/`, { headers: { authorization: `Bearer ${t.token}` } }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      });
    expect(await call()).toBe(200);
    // Revocations have whole seconds (iat < notBefore): revoke in a later second than the token's iat.
    const { iat } = decodeJwt(t.token);
    await eventually(() => Math.floor(Date.now() / 1000) > iat!, 'the next second');
    const r = await control.client.POST('/api/v1/revocations', { body: { subject: `workspace:${id}` } });
    expect(r.response.status).toBeLessThan(300);
    // Reaches the node with the next heartbeat; the cached verification does not outlive it.
    await eventually(async () => (await call()) === 401, 'the revocation to reach the node');
  });

  it('keeps serving tokens issued before the control plane was killed', async () => {
    const id = await createWorkspace('e2e-b');
    const used = await token(id);
    const unused = await token(id);
    const call = (t: string) =>
      fetch(`${node.url}/w/${id}/after`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
    expect(await call(used.token)).toBe(200);
    await control.stop();
    controlStopped = true;
    expect(await call(used.token)).toBe(200);
    // Never presented before the control plane died: checked against the keys the node holds.
    expect(await call(unused.token)).toBe(200);
    expect(await call('garbage')).toBe(401);
  });
});
