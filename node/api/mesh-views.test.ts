// /_node/members and /_node/registry: a control command token or the node's admin credential, from anywhere;
// a caller on loopback gets nothing for being there (workspaces share the node's machine).
import { afterAll, describe, expect, it } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_CREDENTIAL_FILE, loadOrCreateAdminCredential } from '../admin-credential.ts';
import { tempDataDir } from '../testing/index.ts';
import { createNodeApi } from './node-api.ts';

const dataDir = tempDataDir();
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const credential = loadOrCreateAdminCredential(dataDir);
const secret = readFileSync(join(dataDir, ADMIN_CREDENTIAL_FILE), 'utf8').trim();

const api = createNodeApi({
  version: 'test',
  verifyCommand: async (t) => t === 'good-command-token',
  verifyAdmin: (t) => credential.matches(t),
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
// Hono's env is the Bun server: one that says every caller is on loopback, as a workspace on this machine is.
const loopback = (address: string) => ({ requestIP: () => ({ address, family: 'IPv4', port: 40_000 }) });
const get = (path: string, token?: string, address = '127.0.0.1') =>
  api.fetch(
    new Request(`http://127.0.0.1${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }),
    loopback(address),
  );

describe('Mesh views', () => {
  for (const path of ['/_node/members', '/_node/registry']) {
    it(`refuses ${path} to a loopback caller without proof, with the one JSON error`, async () => {
      for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.5']) {
        const res = await get(path, undefined, address);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      }
    });

    it(`refuses ${path} to a wrong or malformed credential`, async () => {
      const wrong = `wrn_node_${'A'.repeat(43)}`;
      for (const token of [wrong, secret.slice(0, -1), `${secret}x`, 'forged', `Bearer ${secret}`]) {
        expect((await get(path, token)).status).toBe(401);
      }
      const lower = await api.fetch(
        new Request(`http://127.0.0.1${path}`, { headers: { authorization: secret } }),
      );
      expect(lower.status).toBe(401);
    });

    it(`answers ${path} to the node's admin credential`, async () => {
      expect((await get(path, secret)).status).toBe(200);
      expect((await get(path, secret, '10.200.1.2')).status).toBe(200);
    });

    it(`answers ${path} to a control command token`, async () => {
      expect((await get(path, 'good-command-token', '10.200.1.2')).status).toBe(200);
    });
  }

  it('keeps the other /_node/* routes behind the command token: the admin credential opens only the views', async () => {
    expect((await get('/_node/info')).status).toBe(401);
    expect((await get('/_node/info', secret)).status).toBe(401);
    expect((await get('/_node/workspaces', secret)).status).toBe(401);
    expect((await get('/_node/info', 'good-command-token')).status).toBe(200);
  });

  it('answers the registry entries it holds', async () => {
    const body = (await (await get('/_node/registry', secret)).json()) as { items: unknown[] };
    expect(body.items).toEqual([{ kind: 'workspace', origin: 'nd-self' }]);
  });
});
