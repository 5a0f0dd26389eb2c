// One origin per workspace app: the cookie exchange on the app's own origin (path mode only with
// --allow-path-apps), and cookie WebSockets only from the app's own origin or the control UI's (no cross-site
// WebSocket hijacking); `?token=` sockets are untouched. Each with the fast path on and off.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { connect } from 'node:net';
import { newId } from '../../contract/index.ts';
import { type ProxyFixture, startProxyFixture } from '../testing/index.ts';

/** A request on a new connection each time, so every request meets the front afresh (no reused tunnel). */
const fresh = (url: string, init: RequestInit = {}) => fetch(url, { ...init, keepalive: false });

/**
 * Sends a WebSocket handshake for `target` on a fresh connection, as a browser would (with `headers`), and
 * resolves with the node's status and, for a refusal, its body.
 */
function handshake(
  nodeUrl: string,
  target: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const u = new URL(nodeUrl);
  const lines = [
    `GET ${target} HTTP/1.1`,
    `host: ${headers.host ?? u.host}`,
    'upgrade: websocket',
    'connection: Upgrade',
    'sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version: 13',
    ...Object.entries(headers)
      .filter(([k]) => k !== 'host')
      .map(([k, v]) => `${k}: ${v}`),
  ];
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(`${lines.join('\r\n')}\r\n\r\n`));
    let buf = '';
    s.on('data', (chunk) => {
      buf += chunk.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = Number(buf.slice(9, 12));
      const length = /\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, end));
      const body = buf.slice(end + 4);
      if (status === 101 || !length || body.length >= Number(length[1])) {
        s.destroy();
        resolve({ status, body });
      }
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`connection closed after ${JSON.stringify(buf)}`)));
  });
}

const codeOf = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

for (const fastPath of [true, false]) {
  describe(`with the fast path ${fastPath ? 'on' : 'off'}`, () => {
    let f: ProxyFixture;
    let paths: ProxyFixture;
    let other: { id: string };
    let cookieToken: string;
    let port: string;
    beforeAll(async () => {
      [f, paths] = await Promise.all([
        startProxyFixture({ fastPath }),
        startProxyFixture({ fastPath, allowPathApps: true }),
      ]);
      other = await f.addWorkspace();
      port = new URL(f.node.url).port;
      cookieToken = await f.issuer.mint({
        workspaceId: f.ws.id,
        userId: f.owner,
        scopes: ['http', 'terminal', 'agent'],
      });
    });
    afterAll(async () => {
      await Promise.all([f.close(), paths.close()]);
    });

    const own = () => `http://ws-${f.ws.id}.localhost:${port}`;
    const hostOf = (fx: ProxyFixture) => `ws-${fx.ws.id}.localhost:${new URL(fx.node.url).port}`;

    describe('Cookie exchange', () => {
      it('refuses /w/{id}/_auth by default with 403 in the error shape and sets no cookie', async () => {
        const res = await fresh(`${f.node.url}/w/${f.ws.id}/_auth?token=${cookieToken}`, {
          redirect: 'manual',
        });
        expect(res.status).toBe(403);
        expect(res.headers.get('set-cookie')).toBeNull();
        expect(codeOf(await res.text())).toBe('forbidden');
      });

      it('exchanges on the path with --allow-path-apps, the cookie scoped to the path', async () => {
        const t = await paths.issuer.mint({ workspaceId: paths.ws.id, userId: paths.owner });
        const res = await fresh(`${paths.node.url}/w/${paths.ws.id}/_auth?token=${t}`, {
          redirect: 'manual',
        });
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe(`/w/${paths.ws.id}/`);
        expect(res.headers.get('set-cookie')).toContain(`Path=/w/${paths.ws.id}/;`);
      });

      it('sets a host-only cookie on ws-{id}.<base domain>: no Domain, HttpOnly, SameSite=Lax, Path=/', async () => {
        const t = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner });
        const res = await fresh(`${f.node.url}/_auth?token=${t}`, {
          redirect: 'manual',
          headers: { host: hostOf(f) },
        });
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe('/');
        const parts = res.headers
          .get('set-cookie')!
          .split(';')
          .map((p) => p.trim());
        expect(parts[0]).toBe(`warren_token=${t}`);
        expect(parts).toContain('Path=/');
        expect(parts).toContain('HttpOnly');
        expect(parts).toContain('SameSite=Lax');
        expect(parts.some((p) => p.toLowerCase().startsWith('domain'))).toBe(false);
        expect(parts.length).toBe(5); // name=value, Path, Max-Age, HttpOnly, SameSite: nothing else
      });
    });

    describe('Fresh cookies for browsers', () => {
      const PAGE = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-mode': 'navigate' };
      const control = () => new URL(f.issuer.url).origin;
      const appLink = (path: string) =>
        `${control()}/api/v1/workspaces/${f.ws.id}/app?path=${encodeURIComponent(path)}`;

      it('sends a page load without a cookie, or with one that no longer verifies, to the control plane for a fresh one', async () => {
        for (const cookie of [undefined, 'warren_token=eyJhbGciOiJFZERTQSJ9.e30.c2ln']) {
          const res = await fresh(`${f.node.url}/deep/page?q=1`, {
            redirect: 'manual',
            headers: { host: hostOf(f), ...PAGE, ...(cookie ? { cookie } : {}) },
          });
          expect(res.status).toBe(303);
          expect(res.headers.get('location')).toBe(appLink('/deep/page?q=1'));
          expect(res.headers.get('set-cookie')).toBeNull();
        }
        expect(f.appLog().some((l) => l.includes('/deep/page'))).toBe(false);
      });

      it("shows a page load this node's refusals as pages, and passes the app's own answers on untouched", async () => {
        const starting = await f.addWorkspace({ ownerId: f.owner, appCommand: 'sleep 1000', wait: false });
        const t = await f.issuer.mint({ workspaceId: starting.id, userId: f.owner });
        const host = `ws-${starting.id}.localhost:${port}`;
        const page = await fresh(`${f.node.url}/`, {
          headers: { host, ...PAGE, cookie: `warren_token=${t}` },
        });
        expect(page.status).toBe(503);
        expect(page.headers.get('content-type')).toStartWith('text/html');
        expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
        const html = await page.text();
        expect(html).toContain('The app is not ready');
        expect(html).toContain('<meta http-equiv="refresh"');
        expect(html).toContain(`${control()}/workspaces/${starting.id}`);
        // The same refusal to an API client is the error shape.
        const api = await fresh(`${f.node.url}/`, {
          headers: { host, accept: 'application/json', cookie: `warren_token=${t}` },
        });
        expect(api.status).toBe(503);
        expect(codeOf(await api.text())).toBe('unavailable');
        // A workspace this node does not run: a 404 page.
        const ghost = newId('workspace');
        // Issued a while ago: past the window in which a workspace may only be not known here yet (503).
        const iat = Math.floor(Date.now() / 1000) - 120;
        const ghostToken = await f.issuer.mint({ workspaceId: ghost, userId: f.owner, iat });
        const none = await fresh(`${f.node.url}/`, {
          headers: { host: `ws-${ghost}.localhost:${port}`, ...PAGE, cookie: `warren_token=${ghostToken}` },
        });
        expect(none.status).toBe(404);
        expect(await none.text()).toContain('No such app');
        // The app's own 404 (JSON) and its own pages are the app's business.
        const own = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner });
        const app404 = await fresh(`${f.node.url}/no-upgrade`, {
          headers: { host: hostOf(f), ...PAGE, cookie: `warren_token=${own}` },
        });
        expect(app404.status).toBe(404);
        expect(await app404.json()).toEqual({ refused: true });
      });

      it('answers API clients, bearer tokens, other methods and path mode with the 401 error shape', async () => {
        const cases: [string, RequestInit][] = [
          ['/', { headers: { host: hostOf(f), accept: 'application/json' } }],
          ['/', { headers: { host: hostOf(f) } }],
          ['/', { headers: { host: hostOf(f), ...PAGE, authorization: 'Bearer not-a-token' } }],
          ['/', { method: 'POST', body: '{}', headers: { host: hostOf(f), ...PAGE } }],
          [`/w/${f.ws.id}/`, { headers: PAGE }],
        ];
        for (const [path, init] of cases) {
          const res = await fresh(`${f.node.url}${path}`, { ...init, redirect: 'manual' });
          expect(res.status).toBe(401);
          expect(codeOf(await res.text())).toBe('unauthorized');
        }
      });

      it('redirects only to its configured control origin, whatever the request names', async () => {
        const tries: [string, Record<string, string>][] = [
          ['/?return=https://evil.example/', {}],
          ['//evil.example/x', {}],
          [
            '/',
            {
              'x-forwarded-host': 'evil.example',
              referer: 'https://evil.example/',
              origin: 'https://evil.example',
            },
          ],
        ];
        for (const [path, headers] of tries) {
          const res = await fresh(`${f.node.url}${path}`, {
            redirect: 'manual',
            headers: { host: hostOf(f), ...PAGE, ...headers },
          });
          expect(res.status).toBe(303);
          const to = res.headers.get('location')!;
          expect(to.startsWith(`${control()}/api/v1/workspaces/${f.ws.id}/app?path=`)).toBe(true);
          expect(new URL(to).origin).toBe(control());
        }
      });

      it("sends the browser back to the page it asked for after the exchange, a path on the app's origin only", async () => {
        const t = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner });
        const back = async (ret: string) => {
          const res = await fresh(`${f.node.url}/_auth?token=${t}&return=${encodeURIComponent(ret)}`, {
            redirect: 'manual',
            headers: { host: hostOf(f) },
          });
          expect(res.status).toBe(303);
          expect(res.headers.get('set-cookie')).toStartWith(`warren_token=${t};`);
          return res.headers.get('location');
        };
        expect(await back('/deep/page?q=1')).toBe('/deep/page?q=1');
        for (const evil of [
          '//evil.example/',
          'https://evil.example/',
          '/\\evil.example',
          '/a\r\nset-cookie: x=1',
        ])
          expect(await back(evil)).toBe('/');
      });
    });

    describe('Cookie WebSockets', () => {
      const cookie = () => `warren_token=${cookieToken}`;
      const onHost = (origin: string | undefined) => ({
        host: hostOf(f),
        cookie: cookie(),
        ...(origin === undefined ? {} : { origin }),
      });

      it("refuses the app's socket from a foreign origin, another workspace's or none, before the app sees it", async () => {
        const foreign = [
          'https://evil.example',
          `http://ws-${other.id}.localhost:${port}`,
          `http://ws-${f.ws.id}.localhost.evil.example:${port}`,
          // Same host, another port: same site, so the browser sends the cookie; another origin all the same.
          `http://ws-${f.ws.id}.localhost:${Number(port) + 1}`,
          `http://ws-${f.ws.id}.localhost`,
          'null',
          undefined,
        ];
        for (const origin of foreign) {
          const before = f.appLog().length;
          const marker = `/sock-${crypto.randomUUID()}`;
          const r = await handshake(f.node.url, marker, onHost(origin));
          expect(`${origin} → ${r.status}`).toBe(`${origin} → 403`);
          expect(codeOf(r.body)).toBe('forbidden');
          expect(f.appLog().length).toBe(before);
        }
      });

      it("accepts the app's socket from its own origin and from the control UI's", async () => {
        // Either scheme: TLS may end at a proxy in front of the node.
        for (const origin of [
          own(),
          `https://ws-${f.ws.id}.localhost:${port}`,
          new URL(f.issuer.url).origin,
        ]) {
          const marker = `/sock-${crypto.randomUUID()}`;
          const r = await handshake(f.node.url, marker, onHost(origin));
          expect(`${origin} → ${r.status}`).toBe(`${origin} → 101`);
          expect(f.appLog().some((l) => l.includes(marker))).toBe(true);
        }
      });

      it('refuses the terminal and the agent from a foreign origin and opens them from the own one', async () => {
        for (const path of ['/_terminal', '/_agent']) {
          const refused = await handshake(f.node.url, path, onHost('https://evil.example'));
          expect(`${path} → ${refused.status}`).toBe(`${path} → 403`);
          const opened = await handshake(f.node.url, path, onHost(own()));
          expect(`${path} → ${opened.status}`).toBe(`${path} → 101`);
          const ui = await handshake(f.node.url, path, onHost(new URL(f.issuer.url).origin));
          expect(`${path} → ${ui.status}`).toBe(`${path} → 101`);
        }
        // Path mode too: the terminal there takes no cookie from another origin either.
        const path = await handshake(f.node.url, `/w/${f.ws.id}/_terminal`, {
          cookie: cookie(),
          origin: 'https://evil.example',
        });
        expect(path.status).toBe(403);
      });

      it('leaves ?token= sockets alone: the token is the proof, whatever the origin or cookie', async () => {
        for (const path of ['/sock-query', '/_terminal']) {
          const r = await handshake(f.node.url, `${path}?token=${cookieToken}`, {
            host: hostOf(f),
            origin: 'https://evil.example',
            cookie: 'warren_token=stale',
          });
          expect(`${path} → ${r.status}`).toBe(`${path} → 101`);
        }
        const bare = await handshake(f.node.url, `/w/${f.ws.id}/sock-query?token=${cookieToken}`, {
          origin: 'https://evil.example',
        });
        expect(bare.status).toBe(101);
      });

      it("takes a path-mode cookie socket from the node's own origin only with --allow-path-apps", async () => {
        const nodeOrigin = (fx: ProxyFixture) => new URL(fx.node.url).origin;
        const off = await handshake(f.node.url, `/w/${f.ws.id}/sock-path`, {
          cookie: cookie(),
          origin: nodeOrigin(f),
        });
        expect(off.status).toBe(403);
        const t = await paths.issuer.mint({ workspaceId: paths.ws.id, userId: paths.owner });
        const on = await handshake(paths.node.url, `/w/${paths.ws.id}/sock-path`, {
          cookie: `warren_token=${t}`,
          origin: nodeOrigin(paths),
        });
        expect(on.status).toBe(101);
        const foreign = await handshake(paths.node.url, `/w/${paths.ws.id}/sock-path`, {
          cookie: `warren_token=${t}`,
          origin: 'https://evil.example',
        });
        expect(foreign.status).toBe(403);
      });
    });
  });
}
