// The token truth table of issue 3: each proof and each way a token can be wrong, with its status, and no byte
// reaching the workspace on any refusal.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { newId, WORKSPACE_TOKEN_TTL } from '../../contract/index.ts';
import { eventually, type MintOptions, type ProxyFixture, startProxyFixture } from '../testing/index.ts';

/** A request on a new connection each time, so every request meets the front afresh (no reused tunnel). */
const fresh = (url: string, init: RequestInit = {}) => fetch(url, { ...init, keepalive: false });

for (const fastPath of [true, false]) {
  describe(`with the fast path ${fastPath ? 'on' : 'off'}`, () => {
    let f: ProxyFixture;
    let other: { id: string; ownerId: string };
    beforeAll(async () => {
      f = await startProxyFixture({ fastPath });
      other = await f.addWorkspace();
    });
    afterAll(() => f.close());

    const now = () => Math.floor(Date.now() / 1000);

    interface Row {
      name: string;
      token?: (f: ProxyFixture) => Promise<string> | string;
      /** How the token is presented; default Bearer. */
      via?: 'bearer' | 'query';
      status: number;
      code?: string;
    }

    const mint =
      (o: Partial<MintOptions> = {}) =>
      (fx: ProxyFixture) =>
        fx.issuer.mint({ workspaceId: fx.ws.id, userId: fx.owner, scopes: ['http'], ...o });

    const rows: Row[] = [
      { name: 'owner with http scope', token: mint(), status: 200 },
      {
        name: 'another user',
        token: (fx) => mint({ userId: newId('user') })(fx),
        status: 404,
        code: 'not_found',
      },
      { name: 'no token', status: 401, code: 'unauthorized' },
      { name: 'expired', token: mint({ iat: now() - 1200, ttlSec: 600 }), status: 401, code: 'unauthorized' },
      {
        name: 'the longest lifetime the control plane issues',
        token: mint({ ttlSec: WORKSPACE_TOKEN_TTL.max }),
        status: 200,
      },
      {
        name: 'a lifetime longer than the control plane issues',
        token: mint({ ttlSec: WORKSPACE_TOKEN_TTL.max + 1 }),
        status: 401,
        code: 'unauthorized',
      },
      {
        name: 'a lifetime of a year, issued long ago',
        token: mint({ iat: now() - 86_400, ttlSec: 365 * 86_400 }),
        status: 401,
        code: 'unauthorized',
      },
      {
        name: 'not yet valid (nbf ahead)',
        token: mint({ nbf: now() + 600 }),
        status: 401,
        code: 'unauthorized',
      },
      {
        name: 'not yet valid (iat ahead)',
        token: mint({ iat: now() + 600 }),
        status: 401,
        code: 'unauthorized',
      },
      { name: 'wrong audience', token: mint({ aud: 'warren:control' }), status: 401, code: 'unauthorized' },
      {
        name: 'valid token for another workspace',
        token: (fx) => fx.issuer.mint({ workspaceId: other.id, userId: other.ownerId, scopes: ['http'] }),
        status: 404,
        code: 'not_found',
      },
      {
        name: 'missing scope',
        token: mint({ scopes: ['terminal', 'agent'] }),
        status: 403,
        code: 'forbidden',
      },
      { name: 'alg none', token: mint({ signer: 'none' }), status: 401, code: 'unauthorized' },
      {
        name: 'signed by an unknown key',
        token: mint({ signer: 'unknown' }),
        status: 401,
        code: 'unauthorized',
      },
      {
        name: 'wrong token type',
        token: mint({ typ: 'warren-node+jwt' }),
        status: 401,
        code: 'unauthorized',
      },
      {
        name: 'wrong issuer',
        token: mint({ iss: 'http://evil.example' }),
        status: 401,
        code: 'unauthorized',
      },
      { name: 'garbage', token: () => 'not.a.jwt', status: 401, code: 'unauthorized' },
      {
        name: '?token= on a plain HTTP path',
        token: mint(),
        via: 'query',
        status: 401,
        code: 'unauthorized',
      },
    ];

    describe('Workspace token truth table', () => {
      for (const row of rows) {
        it(`${row.name} → ${row.status}`, async () => {
          const before = f.appLog().length;
          const token = row.token ? await row.token(f) : undefined;
          const marker = `/probe-${crypto.randomUUID()}`;
          const url = `${f.node.url}/w/${f.ws.id}${marker}${row.via === 'query' && token ? `?token=${token}` : ''}`;
          const headers: Record<string, string> = {};
          if (token && row.via !== 'query') headers.authorization = `Bearer ${token}`;
          const res = await fresh(url, { headers });
          expect(res.status).toBe(row.status);
          if (row.status === 200) {
            expect(f.appLog().some((l) => l.includes(marker))).toBe(true);
            await res.arrayBuffer();
            return;
          }
          const body = (await res.json()) as { error: { code: string } };
          expect(body.error.code).toBe(row.code!);
          if (row.status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
          // Not one request reached the app.
          expect(f.appLog().length).toBe(before);
          expect(f.appLog().some((l) => l.includes(marker))).toBe(false);
        });
      }

      it('refuses a token revoked after it was issued, even when it was cached', async () => {
        const userId = newId('user');
        const ws = await f.addWorkspace({ ownerId: userId });
        const token = await f.issuer.mint({ workspaceId: ws.id, userId, scopes: ['http'], iat: now() - 5 });
        const url = `${f.node.url}/w/${ws.id}/before`;
        expect((await fresh(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
        f.issuer.revoke(`user:${userId}`, now());
        await f.node.heartbeatNow();
        const before = f.appLog(ws.id).length;
        const res = await fresh(`${f.node.url}/w/${ws.id}/after`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(401);
        expect(f.appLog(ws.id).length).toBe(before);
        // A token issued after the revocation works.
        const later = await f.issuer.mint({ workspaceId: ws.id, userId, scopes: ['http'], iat: now() + 1 });
        expect((await fresh(url, { headers: { authorization: `Bearer ${later}` } })).status).toBe(200);
      });

      it('honours a workspace revocation', async () => {
        const ws = await f.addWorkspace();
        const token = await f.issuer.mint({ workspaceId: ws.id, userId: ws.ownerId, iat: now() - 5 });
        f.issuer.revoke(`workspace:${ws.id}`, now());
        await f.node.heartbeatNow();
        const res = await fresh(`${f.node.url}/w/${ws.id}/x`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(401);
        expect(f.appLog(ws.id).length).toBe(0);
      });

      it('answers 404 for a workspace no node hosts, once its registry is in sync and the token is past the window', async () => {
        const id = newId('workspace');
        // Older than the 30 s window in which a workspace may not have reached this node's registry yet.
        const token = await f.issuer.mint({ workspaceId: id, userId: f.owner, iat: now() - 120 });
        const res = await fresh(`${f.node.url}/w/${id}/`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
      });

      it('answers 503 with Retry-After, not 404, for an unknown workspace while the token is fresh', async () => {
        const id = newId('workspace');
        const token = await f.issuer.mint({ workspaceId: id, userId: f.owner });
        const res = await fresh(`${f.node.url}/w/${id}/`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
      });

      it('answers 503 with Retry-After while a workspace is starting', async () => {
        const ws = await f.addWorkspace({ appCommand: 'exec sleep 600', wait: false });
        const token = await f.issuer.mint({ workspaceId: ws.id, userId: ws.ownerId });
        const res = await fresh(`${f.node.url}/w/${ws.id}/`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('2');
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
      });

      it('fetches the key set again for an unknown kid, at most once per cooldown', async () => {
        await f.issuer.rotate();
        const token = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner });
        const fetches = f.issuer.stats.jwksFetches;
        // An earlier row may have used this cooldown already: the new key is picked up once it has passed.
        await eventually(async () => {
          const res = await fresh(`${f.node.url}/w/${f.ws.id}/rotated`, {
            headers: { authorization: `Bearer ${token}` },
          });
          await res.arrayBuffer();
          return res.status === 200;
        }, 'the rotated key to be fetched');
        // Fetched once for the unknown kid (or, if a heartbeat came first, not at all: acks carry the key set).
        expect(f.issuer.stats.jwksFetches).toBeLessThanOrEqual(fetches + 1);
        const after = f.issuer.stats.jwksFetches;
        // A burst of tokens with made-up keys right after: no further fetch within the cooldown.
        for (let i = 0; i < 10; i++) {
          const bad = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, signer: 'unknown' });
          const r = await fresh(`${f.node.url}/w/${f.ws.id}/`, {
            headers: { authorization: `Bearer ${bad}` },
          });
          expect(r.status).toBe(401);
        }
        expect(f.issuer.stats.jwksFetches).toBeLessThanOrEqual(after + 1);
      });
    });
  });
}
