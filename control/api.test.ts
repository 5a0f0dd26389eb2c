// The control plane API end to end through the generated client: projects, workspaces, nodes, tokens, ownership.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { type NodeIsolation, TOKEN_TYP } from '../contract/index.ts';
import { verifyToken } from './identity/index.ts';
import {
  createTestNodeKey,
  joinTestNode,
  type PushRecorder,
  startPushRecorder,
  startTestControl,
  type TestControl,
} from './testing/index.ts';

let control: TestControl;
let node: PushRecorder;

beforeAll(async () => {
  control = await startTestControl();
  node = startPushRecorder();
});
afterAll(async () => {
  await node.stop();
  await control.stop();
});

const joinNode = (name: string, capacity = 4, isolation?: NodeIsolation) =>
  joinTestNode(control, { name, address: node.url, capacity, ...(isolation ? { isolation } : {}) });

async function newMember(name: string) {
  const r = await control.client.POST('/api/v1/users', { body: { name } });
  expect(r.response.status).toBe(200);
  return { user: r.data!.user, client: control.clientWith(r.data!.apiToken), token: r.data!.apiToken };
}

describe('Control API', () => {
  it('answers health and publishes a JWKS with EdDSA keys', async () => {
    const h = await control.client.GET('/health');
    expect(h.data).toEqual({ status: 'ok', version: '0.1.0', role: 'control' });
    const jwks = await control.client.GET('/.well-known/jwks.json');
    expect(jwks.data!.keys.length).toBe(1);
    expect(jwks.data!.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
  });

  it('refuses API calls without a token, with a bad token, and with a revoked token', async () => {
    const none = await control.clientWith().GET('/api/v1/projects');
    expect(none.response.status).toBe(401);
    expect(none.error!.error.code).toBe('unauthorized');
    const bad = await control.clientWith('wrn_api_notarealtoken').GET('/api/v1/projects');
    expect(bad.response.status).toBe(401);
    const created = await control.client.POST('/api/v1/tokens', { body: { name: 'temp' } });
    const tokenClient = control.clientWith(created.data!.token);
    expect((await tokenClient.GET('/api/v1/projects')).response.status).toBe(200);
    await control.client.DELETE('/api/v1/tokens/{id}', { params: { path: { id: created.data!.id } } });
    expect((await tokenClient.GET('/api/v1/projects')).response.status).toBe(401);
  });

  it('stores API tokens hashed, never in clear', async () => {
    const created = await control.client.POST('/api/v1/tokens', { body: { name: 'hashed' } });
    const rows = await control.deps.database.client.execute('SELECT token_hash FROM api_tokens');
    const all = JSON.stringify(rows.rows);
    expect(all).not.toContain(created.data!.token);
    expect(all).not.toContain(created.data!.token.slice(8));
  });

  it('keeps a read-only token from writing and a member token from minting admin scopes', async () => {
    const ro = await control.client.POST('/api/v1/tokens', { body: { name: 'ro', scopes: ['read'] } });
    const roClient = control.clientWith(ro.data!.token);
    expect((await roClient.GET('/api/v1/projects')).response.status).toBe(200);
    const w = await roClient.POST('/api/v1/projects', { body: { name: 'nope' } });
    expect(w.response.status).toBe(403);
    const member = await newMember('scoper');
    const esc = await member.client.POST('/api/v1/tokens', { body: { name: 'esc', scopes: ['admin'] } });
    expect(esc.response.status).toBe(403);
    expect((await member.client.POST('/api/v1/join-tokens', { body: {} })).response.status).toBe(403);
    expect((await member.client.POST('/api/v1/users', { body: { name: 'sneaky' } })).response.status).toBe(
      403,
    );
    expect((await member.client.POST('/api/v1/keys/rotate')).response.status).toBe(403);
    expect((await member.client.GET('/api/v1/users')).response.status).toBe(403);
  });

  it('creates, lists, gets and deletes projects', async () => {
    const p = await control.client.POST('/api/v1/projects', {
      body: { name: 'alpha', description: 'first' },
    });
    expect(p.data).toMatchObject({ name: 'alpha', description: 'first' });
    const got = await control.client.GET('/api/v1/projects/{id}', { params: { path: { id: p.data!.id } } });
    expect(got.data!.id).toBe(p.data!.id);
    const listed = await control.client.GET('/api/v1/projects');
    expect(listed.data!.items.map((x) => x.id)).toContain(p.data!.id);
    const del = await control.client.DELETE('/api/v1/projects/{id}', {
      params: { path: { id: p.data!.id } },
    });
    expect(del.response.status).toBe(200);
    const gone = await control.client.GET('/api/v1/projects/{id}', { params: { path: { id: p.data!.id } } });
    expect(gone.response.status).toBe(404);
  });

  it('answers 404 for a workspace or project another user owns, and hides it from their lists', async () => {
    const alice = await newMember('alice');
    const bob = await newMember('bob');
    const project = await alice.client.POST('/api/v1/projects', { body: { name: 'alices' } });
    const ws = await alice.client.POST('/api/v1/workspaces', {
      body: { name: 'w1', projectId: project.data!.id },
    });
    expect(ws.response.status).toBe(200);
    const id = ws.data!.id;
    for (const r of [
      await bob.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } }),
      await bob.client.POST('/api/v1/workspaces/{id}/stop', { params: { path: { id } } }),
      await bob.client.DELETE('/api/v1/workspaces/{id}', { params: { path: { id } } }),
      await bob.client.POST('/api/v1/workspaces/{id}/tokens', {
        params: { path: { id } },
        body: { scopes: ['http'] },
      }),
      await bob.client.GET('/api/v1/projects/{id}', { params: { path: { id: project.data!.id } } }),
    ]) {
      expect(r.response.status).toBe(404);
      expect(r.error!.error.code).toBe('not_found');
    }
    const bobWs = await bob.client.POST('/api/v1/workspaces', {
      body: { name: 'x', projectId: project.data!.id },
    });
    expect(bobWs.response.status).toBe(404);
    expect((await bob.client.GET('/api/v1/workspaces')).data!.items).toEqual([]);
    // An admin sees it.
    expect(
      (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).response.status,
    ).toBe(200);
  });

  it('keeps a workspace pending without nodes and places it when a node joins, pushing the assignment', async () => {
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'placing' } });
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'early', projectId: project.data!.id, appCommand: 'bun run dev', env: { A: '1' } },
    });
    expect(ws.data).toMatchObject({ status: 'pending', nodeId: null, desiredState: 'running', url: null });
    const joined = await joinNode('n1');
    const placed = await control.client.GET('/api/v1/workspaces/{id}', {
      params: { path: { id: ws.data!.id } },
    });
    expect(placed.data).toMatchObject({ status: 'starting', nodeId: joined.nodeId });
    expect(placed.data!.url).toBe(`${node.url}/w/${ws.data!.id}/`);
    const hosting = await control.client.GET('/api/v1/nodes/{id}', {
      params: { path: { id: joined.nodeId } },
    });
    const onIt = (await control.client.GET('/api/v1/workspaces')).data!.items.filter(
      (w) => w.nodeId === joined.nodeId,
    );
    expect(onIt.length).toBeGreaterThan(0);
    expect(hosting.data).toMatchObject({
      status: 'online',
      workspaceCount: onIt.length,
      capacity: { workspaces: 4 },
    });
    const push = node.pushes.find((p) => p.workspaceId === ws.data!.id);
    expect(push?.assignment).toMatchObject({ id: ws.data!.id, desiredState: 'running', env: { A: '1' } });
    // The push carries a control command token for exactly that node.
    const token = push!.authorization!.replace(/^Bearer /, '');
    expect(decodeProtectedHeader(token).typ).toBe(TOKEN_TYP.controlCommand);
    expect(decodeJwt(token).aud).toBe(`node:${joined.nodeId}`);
    const verified = await verifyToken('controlCommand', token, {
      jwks: joined.jwks,
      issuer: joined.issuer,
      audience: `node:${joined.nodeId}`,
    });
    expect(verified.ok).toBe(true);
  });

  it('keeps the resource limits a workspace was created with and hands them to its node', async () => {
    const joined = await joinNode('n-res');
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'limits' } });
    const resources = { memoryMb: 2048, pids: 512, cpus: 1.5 };
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'limited', projectId: project.data!.id, nodeId: joined.nodeId, resources },
    });
    expect(ws.response.status).toBe(200);
    const id = ws.data!.id;
    expect(ws.data!.resources).toEqual(resources);
    const got = await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } });
    expect(got.data!.resources).toEqual(resources);
    // The push at placement and every heartbeat ack carry them.
    expect(node.pushes.find((p) => p.workspaceId === id)?.assignment.resources).toEqual(resources);
    const ack = await control.nodeClient(joined).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: joined.nodeId } },
      body: { workspaces: [{ id, status: 'running' }] },
    });
    expect(ack.data!.workspaces.find((w) => w.id === id)?.resources).toEqual(resources);
    // Only what was set is kept; none set reads as `{}`, the node's defaults.
    const some = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'some', projectId: project.data!.id, nodeId: joined.nodeId, resources: { pids: 64 } },
    });
    expect(some.data!.resources).toEqual({ pids: 64 });
    const none = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'none', projectId: project.data!.id, nodeId: joined.nodeId },
    });
    expect(none.data!.resources).toEqual({});
    expect(node.pushes.find((p) => p.workspaceId === none.data!.id)?.assignment.resources).toEqual({});
  });

  it('refuses resource limits out of range or of the wrong kind with 400 invalid_request', async () => {
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'bad-limits' } });
    const bad: Record<string, unknown>[] = [
      { memoryMb: 63 },
      { memoryMb: 262_145 },
      { memoryMb: 512.5 },
      { pids: 15 },
      { pids: 1_000_001 },
      { pids: 100.5 },
      { cpus: 0.05 },
      { cpus: 257 },
      { cpus: '2' },
    ];
    for (const resources of bad) {
      const r = await control.client.POST('/api/v1/workspaces', {
        body: { name: 'bad', projectId: project.data!.id, resources: resources as never },
      });
      expect(r.response.status).toBe(400);
      expect(r.error!.error.code).toBe('invalid_request');
      expect(JSON.stringify(r.error!.error.detail)).toContain(`"resources.${Object.keys(resources)[0]}"`);
    }
    const listed = await control.client.GET('/api/v1/workspaces');
    expect(listed.data!.items.filter((w) => w.projectId === project.data!.id)).toEqual([]);
  });

  it("keeps a workspace's terminal shell and hands it to its node; none set is null", async () => {
    const joined = await joinNode('n-shell');
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'shells' } });
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'zsh', projectId: project.data!.id, nodeId: joined.nodeId, shell: '/usr/bin/zsh' },
    });
    expect(ws.response.status).toBe(200);
    const id = ws.data!.id;
    expect(ws.data!.shell).toBe('/usr/bin/zsh');
    const got = await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } });
    expect(got.data!.shell).toBe('/usr/bin/zsh');
    expect(node.pushes.find((p) => p.workspaceId === id)?.assignment.shell).toBe('/usr/bin/zsh');
    const ack = await control.nodeClient(joined).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: joined.nodeId } },
      body: { workspaces: [{ id, status: 'running' }] },
    });
    expect(ack.data!.workspaces.find((w) => w.id === id)?.shell).toBe('/usr/bin/zsh');
    const plain = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'plain', projectId: project.data!.id, nodeId: joined.nodeId },
    });
    expect(plain.data!.shell).toBeNull();
    expect(node.pushes.find((p) => p.workspaceId === plain.data!.id)?.assignment.shell).toBeNull();
  });

  it('refuses a shell that is not a command name or an absolute path with 400 invalid_request', async () => {
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'bad-shells' } });
    for (const shell of [
      '',
      'bash -c id',
      'zsh;id',
      '../bin/sh',
      '/bin/../sh',
      'relative/sh',
      '$(id)',
      'x'.repeat(257),
    ]) {
      const r = await control.client.POST('/api/v1/workspaces', {
        body: { name: 'bad', projectId: project.data!.id, shell },
      });
      expect(r.response.status).toBe(400);
      expect(r.error!.error.code).toBe('invalid_request');
    }
    const listed = await control.client.GET('/api/v1/workspaces');
    expect(listed.data!.items.filter((w) => w.projectId === project.data!.id)).toEqual([]);
  });

  it('shows how each node isolates its workspaces, from its join and its heartbeats', async () => {
    const listed = async (id: string) =>
      (await control.client.GET('/api/v1/nodes')).data!.items.find((n) => n.id === id)?.isolation;
    const quiet = await joinNode('n-quiet');
    expect(await listed(quiet.nodeId)).toBeNull();
    const laptop = await joinNode('n-process', 4, 'process');
    expect(await listed(laptop.nodeId)).toBe('process');
    const beat = (body: { workspaces: []; isolation?: NodeIsolation }) =>
      control.nodeClient(laptop).POST('/api/v1/nodes/{id}/heartbeat', {
        params: { path: { id: laptop.nodeId } },
        body,
      });
    expect((await beat({ workspaces: [], isolation: 'sandbox-shared-network' })).response.status).toBe(200);
    expect(await listed(laptop.nodeId)).toBe('sandbox-shared-network');
    // A heartbeat that does not say keeps what the node said last.
    expect((await beat({ workspaces: [] })).response.status).toBe(200);
    expect(await listed(laptop.nodeId)).toBe('sandbox-shared-network');
    expect((await beat({ workspaces: [], isolation: 'process' })).response.status).toBe(200);
    const one = await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: laptop.nodeId } } });
    expect(one.data!.isolation).toBe('process');
  });

  it('refuses an isolation outside the union on join and heartbeat with 400 in the one error shape', async () => {
    const n = await joinNode('n-bad-isolation');
    const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
    const key = await createTestNodeKey();
    // Raw fetch: the generated client's types do not let a wrong value through.
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${control.url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const join = await post('/api/v1/nodes/join', {
      joinToken: jt.data!.token,
      name: 'n-container',
      publicKey: key.publicKey,
      address: node.url,
      capacity: { workspaces: 1 },
      isolation: 'container',
    });
    const beat = await post(
      `/api/v1/nodes/${n.nodeId}/heartbeat`,
      { workspaces: [], isolation: 'none' },
      n.certificate,
    );
    for (const res of [join, beat]) {
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.message).toBeString();
    }
    // Neither the refused join nor the refused heartbeat changed anything.
    const names = (await control.client.GET('/api/v1/nodes')).data!.items.map((x) => x.name);
    expect(names).not.toContain('n-container');
    const still = await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: n.nodeId } } });
    expect(still.data!.isolation).toBeNull();
  });

  it('refuses a used or unknown join token', async () => {
    const first = await joinNode('n-once');
    const again = await control.clientWith().POST('/api/v1/nodes/join', {
      body: {
        joinToken: first.joinToken,
        name: 'n-twice',
        publicKey: first.key.publicKey,
        address: node.url,
        capacity: { workspaces: 1 },
      },
    });
    expect(again.response.status).toBe(401);
  });

  it('walks a workspace through start, stop and delete with node reports, rejecting illegal moves with 409', async () => {
    const joined = await joinNode('n-life', 8);
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'life' } });
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'life', projectId: project.data!.id, nodeId: joined.nodeId },
    });
    const id = ws.data!.id;
    expect(ws.data!.nodeId).toBe(joined.nodeId);
    const hb = (workspaces: { id: string; status: 'running' | 'stopped' | 'deleting' }[]) =>
      control.nodeClient(joined).POST('/api/v1/nodes/{id}/heartbeat', {
        params: { path: { id: joined.nodeId } },
        body: { workspaces },
      });
    const ack = await hb([{ id, status: 'running' }]);
    expect(ack.response.status).toBe(200);
    expect(ack.data!.workspaces.map((w) => w.id)).toContain(id);
    expect(
      (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).data!.status,
    ).toBe('running');
    const stopped = await control.client.POST('/api/v1/workspaces/{id}/stop', { params: { path: { id } } });
    expect(stopped.data).toMatchObject({ status: 'stopping', desiredState: 'stopped' });
    await hb([{ id, status: 'stopped' }]);
    const started = await control.client.POST('/api/v1/workspaces/{id}/start', { params: { path: { id } } });
    expect(started.data).toMatchObject({ status: 'starting', desiredState: 'running' });
    const deleted = await control.client.DELETE('/api/v1/workspaces/{id}', { params: { path: { id } } });
    expect(deleted.data).toMatchObject({ status: 'deleting', desiredState: 'deleted' });
    const illegal = await control.client.POST('/api/v1/workspaces/{id}/start', { params: { path: { id } } });
    expect(illegal.response.status).toBe(409);
    expect(illegal.error!.error.code).toBe('illegal_transition');
    // A report of `running` for a workspace being deleted is not applied.
    await hb([{ id, status: 'running' }]);
    expect(
      (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).data!.status,
    ).toBe('deleting');
    // Once the node stops reporting it, the delete is complete.
    await hb([]);
    expect(
      (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).response.status,
    ).toBe(404);
  });

  it('mints workspace access tokens bound to the workspace, user and hosting node', async () => {
    const joined = await joinNode('n-tok');
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'tok' } });
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'tok', projectId: project.data!.id, nodeId: joined.nodeId },
    });
    const t = await control.client.POST('/api/v1/workspaces/{id}/tokens', {
      params: { path: { id: ws.data!.id } },
      body: { scopes: ['http', 'terminal'], ttlSeconds: 120 },
    });
    expect(t.data).toMatchObject({ workspaceId: ws.data!.id, nodeId: joined.nodeId, nodeUrl: node.url });
    const v = await verifyToken('workspaceAccess', t.data!.token, {
      jwks: (await control.client.GET('/.well-known/jwks.json')).data!,
      issuer: joined.issuer,
      audience: `workspace:${ws.data!.id}`,
    });
    expect(v.ok && v.claims.scope).toBe('http terminal');
    expect(v.ok && v.claims.exp - v.claims.iat).toBe(120);
    const tooLong = await control.client.POST('/api/v1/workspaces/{id}/tokens', {
      params: { path: { id: ws.data!.id } },
      body: { scopes: ['http'], ttlSeconds: 99_999 },
    });
    expect(tooLong.response.status).toBe(400);
  });

  it('hands a browser the app on its own origin: ws-{id}.{base domain} with the node address’s scheme and port', async () => {
    const joined = await joinTestNode(control, {
      name: 'n-apps',
      address: node.url,
      baseDomain: 'localhost',
    });
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'apps' } });
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'apps', projectId: project.data!.id, nodeId: joined.nodeId },
    });
    const id = ws.data!.id;
    const mint = async () =>
      (
        await control.client.POST('/api/v1/workspaces/{id}/tokens', {
          params: { path: { id } },
          body: { scopes: ['http'] },
        })
      ).data!;
    expect((await mint()).appUrl).toBe(`http://ws-${id}.localhost:${new URL(node.url).port}`);
    const beat = async (body: { workspaces: []; baseDomain?: string }) =>
      (
        await control.nodeClient(joined).POST('/api/v1/nodes/{id}/heartbeat', {
          params: { path: { id: joined.nodeId } },
          body: body as never,
        })
      ).response;
    expect((await beat({ workspaces: [], baseDomain: 'apps.example.com' })).status).toBe(200);
    expect((await mint()).appUrl).toBe(`http://ws-${id}.apps.example.com:${new URL(node.url).port}`);
    // A heartbeat that does not say keeps it; a name that is no DNS name (a URL in disguise) is refused.
    expect((await beat({ workspaces: [] })).status).toBe(200);
    expect((await mint()).appUrl).toContain('.apps.example.com:');
    expect((await beat({ workspaces: [], baseDomain: 'evil.example/x?' })).status).toBe(400);
    expect((await mint()).appUrl).toContain('.apps.example.com:');
    // A node that never said its base domain (an older node): no app origin to offer.
    const quiet = await joinNode('n-no-domain');
    const other = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'plain', projectId: project.data!.id, nodeId: quiet.nodeId },
    });
    const t = await control.client.POST('/api/v1/workspaces/{id}/tokens', {
      params: { path: { id: other.data!.id } },
      body: { scopes: ['http'] },
    });
    expect(t.data).toMatchObject({ nodeUrl: node.url, appUrl: null });
  });

  it('renews a node certificate on request and refuses another node id or a user token on heartbeat', async () => {
    const a = await joinNode('n-a');
    const b = await joinNode('n-b');
    const renewed = await control.nodeClient(a).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: a.nodeId } },
      body: { workspaces: [], renew: true },
    });
    expect(renewed.data!.certificate).toBeString();
    expect(renewed.data!.certificate).not.toBe(a.certificate);
    const wrongNode = await control.nodeClient(a).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: b.nodeId } },
      body: { workspaces: [] },
    });
    expect(wrongNode.response.status).toBe(401);
    const userToken = await control.clientWith(control.adminToken).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: a.nodeId } },
      body: { workspaces: [] },
    });
    expect(userToken.response.status).toBe(401);
    // And the node certificate is not a user token.
    expect((await control.clientWith(a.certificate).GET('/api/v1/projects')).response.status).toBe(401);
  });

  it('records revocations, lists them and hands them to nodes in the heartbeat', async () => {
    const member = await newMember('revoked');
    const r = await control.client.POST('/api/v1/revocations', {
      body: { subject: `user:${member.user.id}` },
    });
    expect(r.response.status).toBe(200);
    expect(r.data!.notBefore).toBeGreaterThan(0);
    // Their API tokens stop working at the control plane too.
    expect((await member.client.GET('/api/v1/projects')).response.status).toBe(401);
    const listed = await control.client.GET('/api/v1/revocations');
    expect(listed.data!.revocations.map((x) => x.subject)).toContain(`user:${member.user.id}`);
    const n = await joinNode('n-rev');
    const ack = await control.nodeClient(n).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: n.nodeId } },
      body: { workspaces: [] },
    });
    expect(ack.data!.revocations.map((x) => x.subject)).toContain(`user:${member.user.id}`);
    const byNode = await control.nodeClient(n).GET('/api/v1/revocations');
    expect(byNode.data!.revocations.map((x) => x.subject)).toContain(`user:${member.user.id}`);
    // Revoking the node voids its certificate at the control plane.
    await control.client.POST('/api/v1/revocations', { body: { subject: `node:${n.nodeId}` } });
    const revokedNode = await control.nodeClient(n).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: n.nodeId } },
      body: { workspaces: [] },
    });
    expect(revokedNode.response.status).toBe(401);
    const other = await newMember('other');
    const forbidden = await other.client.POST('/api/v1/revocations', {
      body: { subject: `user:${member.user.id}` },
    });
    expect(forbidden.response.status).toBe(403);
  });

  it('turns a one-time login link into a session cookie that works once and can be ended', async () => {
    const member = await control.client.POST('/api/v1/users', { body: { name: 'browser' } });
    const link = member.data!.loginLink;
    const res = await fetch(link, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toContain('HttpOnly');
    const cookie = setCookie.split(';')[0]!;
    const me = await fetch(`${control.url}/api/v1/auth/me`, { headers: { cookie } });
    expect(((await me.json()) as { id: string }).id).toBe(member.data!.user.id);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(401);
    await fetch(`${control.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie } });
    expect((await fetch(`${control.url}/api/v1/auth/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('does not hold an API response on a node that answers slowly (the push is bounded)', async () => {
    const slow = startPushRecorder();
    slow.delay(60_000);
    try {
      const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
      const key = await createTestNodeKey();
      const joined = await control.clientWith().POST('/api/v1/nodes/join', {
        body: {
          joinToken: jt.data!.token,
          name: 'slow',
          publicKey: key.publicKey,
          address: slow.url,
          capacity: { workspaces: 1 },
        },
      });
      const project = await control.client.POST('/api/v1/projects', { body: { name: 'slow' } });
      // Without the push timeout this request would wait the full minute and the test would time out.
      const ws = await control.client.POST('/api/v1/workspaces', {
        body: { name: 'slow', projectId: project.data!.id, nodeId: joined.data!.nodeId },
      });
      expect(ws.response.status).toBe(200);
      expect(slow.pushes.map((p) => p.workspaceId)).toContain(ws.data!.id);
    } finally {
      await slow.stop();
    }
  });

  it('serves Prometheus metrics', async () => {
    const res = await fetch(`${control.url}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(text).toContain('warren_workspaces{status="pending"}');
    expect(text).toMatch(/warren_http_requests_total\{method="GET",status="200"\} \d+/);
  });
  it("pushes a project's permission policy with its workspaces, and again at once when it changes", async () => {
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'policy' } });
    const projectId = project.data!.id;
    const ws = await control.client.POST('/api/v1/workspaces', { body: { name: 'asker', projectId } });
    const id = ws.data!.id;
    const pushed = () =>
      node.pushes.filter((p) => p.workspaceId === id).map((p) => p.assignment.agentPermissions);
    expect(pushed()).toEqual(['ask']);
    const patched = await control.client.PATCH('/api/v1/projects/{id}', {
      params: { path: { id: projectId } },
      body: { agentPermissions: 'allow' },
    });
    expect(patched.data!.agentPermissions).toBe('allow');
    expect(pushed().at(-1)).toBe('allow');
  });
});
