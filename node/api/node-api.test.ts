// The node API: /health and /metrics, and /_node/* only with a control command token addressed to this node.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { newId, type WorkspaceAssignment } from '../../contract/index.ts';
import { type ProxyFixture, startProxyFixture } from '../testing/index.ts';
import { nodeOpenApiDocument } from './openapi.ts';

let f: ProxyFixture;
beforeAll(async () => {
  f = await startProxyFixture();
});
afterAll(() => f.close());

const call = (path: string, init: RequestInit = {}) => fetch(`${f.node.url}${path}`, init);
const auth = async (o?: Parameters<ProxyFixture['issuer']['commandToken']>[1]) => ({
  authorization: `Bearer ${await f.issuer.commandToken(f.node.nodeId, o)}`,
});

describe('Node API', () => {
  it('answers /health without auth', async () => {
    const res = await call('/health');
    expect(await res.json()).toEqual({ status: 'ok', version: expect.any(String), role: 'node' });
  });

  it('exposes counters on /metrics', async () => {
    const text = await (await call('/metrics')).text();
    expect(text).toContain('warren_workspaces{status="running"} 1');
    expect(text).toContain('warren_token_cache_entries');
  });

  it('answers /_node/info and /_node/workspaces for the control plane', async () => {
    const info = (await (await call('/_node/info', { headers: await auth() })).json()) as Record<
      string,
      unknown
    >;
    expect(info.nodeId).toBe(f.node.nodeId);
    expect(info.address).toBe(f.node.url);
    expect(info.workspaces).toBe(1);
    const list = (await (await call('/_node/workspaces', { headers: await auth() })).json()) as {
      items: { id: string; status: string }[];
    };
    expect(list.items.map((w) => [w.id, w.status])).toEqual([[f.ws.id, 'running']]);
  });

  const refusals: [string, () => Promise<Record<string, string>>][] = [
    ['no token', async () => ({})],
    ['a token for another node', () => auth({ aud: `node:${newId('node')}` })],
    ['a token signed by an unknown key', () => auth({ signer: 'unknown' })],
    [
      'a workspace token',
      async () => ({
        authorization: `Bearer ${await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, aud: `node:${f.node.nodeId}` })}`,
      }),
    ],
  ];
  for (const [name, headers] of refusals) {
    it(`refuses /_node/* with ${name}`, async () => {
      for (const path of ['/_node/info', '/_node/workspaces']) {
        const res = await call(path, { headers: await headers() });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      }
      const spec: WorkspaceAssignment = { ...f.ws, id: newId('workspace') };
      const put = await call(`/_node/workspaces/${spec.id}`, {
        method: 'PUT',
        headers: { ...(await headers()), 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      });
      expect(put.status).toBe(401);
      expect(f.node.runtime.get(spec.id)).toBeUndefined();
    });
  }

  it('rejects a malformed assignment with the error shape and a path mismatch with 400', async () => {
    const bad = await call(`/_node/workspaces/${f.ws.id}`, {
      method: 'PUT',
      headers: { ...(await auth()), 'content-type': 'application/json' },
      body: JSON.stringify({ ...f.ws, desiredState: 'flying' }),
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as {
      error: { code: string; detail: { issues: { in: string; path: string }[] } };
    };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.detail.issues[0]!.path).toBe('desiredState');
    expect(body.error.detail.issues[0]!.in).toBe('json');
    const mismatch = await call(`/_node/workspaces/${newId('workspace')}`, {
      method: 'PUT',
      headers: { ...(await auth()), 'content-type': 'application/json' },
      body: JSON.stringify(f.ws),
    });
    expect(mismatch.status).toBe(400);
  });

  it('answers unknown routes with the JSON 404', async () => {
    const res = await call('/nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('describes itself in an OpenAPI document', async () => {
    const doc = (await nodeOpenApiDocument()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/_node/info',
      '/_node/members',
      '/_node/registry',
      '/_node/workspaces',
      '/_node/workspaces/{id}',
      '/_node/workspaces/{id}/agent/tasks',
      '/_node/workspaces/{id}/agent/tasks/{taskId}/cancel',
      '/_node/workspaces/{id}/agent/tasks/{taskId}/messages',
      '/_node/workspaces/{id}/agent/tasks/{taskId}/permissions',
      '/_node/workspaces/{id}/agent/tasks/{taskId}/permissions/{requestId}',
      '/health',
      '/metrics',
    ]);
    expect(doc.paths['/_node/workspaces/{id}']!.put).toBeDefined();
  });
});
