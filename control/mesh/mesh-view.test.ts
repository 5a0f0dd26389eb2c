// GET /api/v1/mesh through the generated client against a control plane whose mesh member is on: a joined node's
// member entry and workspace claim show up; a member user sees the members but not another user's placements.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import { type Jwks, newId } from '../../contract/index.ts';
import {
  CertificateTrust,
  createMeshNode,
  createUdpTransport,
  localMeshConfig,
  type MeshNode,
} from '../../mesh/index.ts';
import { eventually, startTestControl, type TestControl } from '../testing/index.ts';

let control: TestControl;
let off: TestControl;
let node: MeshNode;
let nodeId = '';
const workspaceId = newId('workspace');

beforeAll(async () => {
  control = await startTestControl({
    config: { meshListen: { host: '127.0.0.1', port: 0 }, meshTimings: localMeshConfig() },
  });
  off = await startTestControl();
  const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
  const keys = generateKeyPairSync('ed25519');
  const jwk = keys.publicKey.export({ format: 'jwk' }) as { x: string };
  const joined = await control.clientWith().POST('/api/v1/nodes/join', {
    body: {
      joinToken: jt.data!.token,
      name: 'mesh-view-node',
      publicKey: { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
      address: 'http://127.0.0.1:9',
      capacity: { workspaces: 2 },
    },
  });
  expect(joined.response.status).toBe(200);
  nodeId = joined.data!.nodeId;
  const jwks = (await (await fetch(`${control.url}/.well-known/jwks.json`)).json()) as Jwks;
  node = createMeshNode({
    transport: await createUdpTransport({ hostname: '127.0.0.1' }),
    identity: { origin: nodeId, privateKey: keys.privateKey, certificate: joined.data!.certificate },
    trust: new CertificateTrust({ controlJwks: jwks, issuer: joined.data!.issuer }),
    config: localMeshConfig(),
  });
  node.publish('member', {
    nodeId,
    name: 'mesh-view-node',
    meshAddress: node.address,
    proxyUrl: 'http://127.0.0.1:9',
    certificate: joined.data!.certificate,
  });
  node.publish('workspace', { workspaceId, nodeId, status: 'running', ports: [3000] });
  expect(await node.join([control.deps.mesh!.address])).toBe(1);
});
afterAll(async () => {
  await node.close();
  await control.stop();
  await off.stop();
});

describe('GET /api/v1/mesh', () => {
  it("shows the control plane member's live members and the registry's routes to an admin", async () => {
    await eventually(
      async () => {
        const r = await control.client.GET('/api/v1/mesh');
        return r.data?.routes.some((x) => x.workspaceId === workspaceId) &&
          r.data.members.some((m) => m.id === nodeId && m.name === 'mesh-view-node')
          ? true
          : undefined;
      },
      'the node and its workspace in the mesh view',
      10_000,
    );
    const r = await control.client.GET('/api/v1/mesh');
    expect(r.response.status).toBe(200);
    const view = r.data!;
    expect(view.enabled).toBe(true);
    expect(view.self?.address).toBe(control.deps.mesh!.address);
    const self = view.members.find((m) => m.control);
    expect(self).toMatchObject({
      state: 'alive',
      address: control.deps.mesh!.address,
      proxyUrl: control.url,
    });
    expect(view.members.find((m) => m.id === nodeId)).toMatchObject({
      state: 'alive',
      address: node.address,
      proxyUrl: 'http://127.0.0.1:9',
      control: false,
    });
    expect(view.routes.find((x) => x.workspaceId === workspaceId)).toEqual({
      workspaceId,
      nodeId,
      status: 'running',
      available: true,
    });
    expect(view.counters.entriesApplied).toBeGreaterThan(0);
  });

  it("shows a member the members but not another user's workspace placements", async () => {
    const u = await control.client.POST('/api/v1/users', { body: { name: 'mesh-viewer' } });
    expect(u.response.status).toBe(200);
    const member = control.clientWith(u.data!.apiToken);
    const r = await member.GET('/api/v1/mesh');
    expect(r.response.status).toBe(200);
    expect(r.data!.members.some((m) => m.id === nodeId)).toBe(true);
    expect(r.data!.routes).toEqual([]);
  });

  it('refuses anonymous callers', async () => {
    expect((await control.clientWith().GET('/api/v1/mesh')).response.status).toBe(401);
  });

  it('answers an empty, disabled view when the mesh is off', async () => {
    const r = await off.client.GET('/api/v1/mesh');
    expect(r.response.status).toBe(200);
    expect(r.data).toMatchObject({ enabled: false, self: null, members: [], routes: [] });
  });
});
