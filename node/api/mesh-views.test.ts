// /_node/members and /_node/registry: open to loopback callers (`warren mesh status` on the node's machine),
// a control command token from anywhere else.
import { describe, expect, it } from 'bun:test';
import { createNodeApi } from './node-api.ts';

const api = createNodeApi({
  version: 'test',
  verifyCommand: async (t) => t === 'good-command-token',
  info: () => ({
    nodeId: null,
    name: 'n',
    address: 'http://127.0.0.1:1',
    version: 'test',
    laptop: false,
    capacity: { workspaces: 1 },
    workspaces: 0,
  }),
  workspaces: () => [],
  apply: async () => {
    throw new Error('not used');
  },
  metrics: () => '',
  mesh: () => ({ id: 'nd-self', members: [] }),
  registry: () => [{ kind: 'workspace', origin: 'nd-self' }],
});
const from = (address: string) => ({ requestIP: () => ({ address }) });
const get = (path: string, address: string, token?: string) =>
  api.fetch(
    new Request(`http://node${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    from(address),
  );

describe('Mesh views', () => {
  for (const path of ['/_node/members', '/_node/registry']) {
    it(`answers ${path} to loopback callers without a token`, async () => {
      for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.5']) {
        expect((await get(path, address)).status).toBe(200);
      }
    });

    it(`refuses ${path} to other addresses without a control command token`, async () => {
      for (const address of ['10.200.1.2', '192.168.1.1', '::ffff:10.0.0.1', '1127.0.0.1']) {
        const res = await get(path, address);
        expect(res.status).toBe(401);
      }
      expect((await get(path, '10.200.1.2', 'forged')).status).toBe(401);
      expect((await get(path, '10.200.1.2', 'good-command-token')).status).toBe(200);
    });
  }

  it('keeps the other /_node/* routes behind the command token even from loopback', async () => {
    expect((await get('/_node/info', '127.0.0.1')).status).toBe(401);
    expect((await get('/_node/info', '127.0.0.1', 'good-command-token')).status).toBe(200);
  });

  it('answers the registry entries it holds', async () => {
    const body = (await (await get('/_node/registry', '127.0.0.1')).json()) as { items: unknown[] };
    expect(body.items).toEqual([{ kind: 'workspace', origin: 'nd-self' }]);
  });
});
