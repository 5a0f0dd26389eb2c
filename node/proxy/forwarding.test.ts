// What reaches the workspace and how: header hygiene, Host routing, the cookie exchange, streaming and WebSockets.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { eventually, type ProxyFixture, rawSession, startProxyFixture } from '../testing/index.ts';

/** A request on a new connection each time, so every request meets the front afresh (no reused tunnel). */
const fresh = (url: string, init: RequestInit = {}) => fetch(url, { ...init, keepalive: false });

for (const fastPath of [true, false]) {
  describe(`with the fast path ${fastPath ? 'on' : 'off'}`, () => {
    let f: ProxyFixture;
    let token: string;
    beforeAll(async () => {
      f = await startProxyFixture({ fastPath });
      token = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, scopes: ['http'] });
    });
    afterAll(() => f.close());

    interface Echo {
      method: string;
      path: string;
      search: string;
      headers: Record<string, string>;
      body: string;
    }

    describe('Proxy forwarding', () => {
      it('strips credentials, Warren cookies and client forwarding/identity headers, and sets its own', async () => {
        const res = await fresh(`${f.node.url}/w/${f.ws.id}/echo?a=1`, {
          headers: {
            authorization: `Bearer ${token}`,
            cookie: 'theme=dark; warren_token=stolen; warren_session=x; lang=en',
            'x-forwarded-for': '6.6.6.6',
            'x-forwarded-host': 'evil.example',
            'x-forwarded-proto': 'https',
            'x-forwarded-user': 'admin',
            forwarded: 'for=6.6.6.6',
            'x-real-ip': '6.6.6.6',
            'x-remote-user': 'admin',
            'x-warren-user': 'usaaaaaaaaaaaaaaaaaaaa',
            'x-custom': 'kept',
          },
        });
        expect(res.status).toBe(200);
        const e = (await res.json()) as Echo;
        expect(e.path).toBe('/echo');
        expect(e.search).toBe('?a=1');
        const h = e.headers;
        expect(h.authorization).toBeUndefined();
        expect(h.cookie).toBe('theme=dark; lang=en');
        expect(h['x-forwarded-for']).toBe('127.0.0.1');
        expect(h['x-forwarded-host']).toBe(new URL(f.node.url).host);
        expect(h['x-forwarded-proto']).toBe('http');
        expect(h['x-forwarded-prefix']).toBe(`/w/${f.ws.id}`);
        expect(h['x-forwarded-user']).toBeUndefined();
        expect(h.forwarded).toBeUndefined();
        expect(h['x-real-ip']).toBeUndefined();
        expect(h['x-remote-user']).toBeUndefined();
        expect(h['x-warren-user']).toBe(f.owner);
        expect(h['x-custom']).toBe('kept');
        expect(JSON.stringify(e)).not.toContain(token);
      });

      it('routes on the real Host ws-{id}.{baseDomain}, never on X-Forwarded-Host', async () => {
        const port = new URL(f.node.url).port;
        const res = await fresh(`${f.node.url}/by-host`, {
          headers: { host: `ws-${f.ws.id}.localhost:${port}`, authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(200);
        const e = (await res.json()) as Echo;
        expect(e.path).toBe('/by-host');
        expect(e.headers['x-forwarded-prefix']).toBeUndefined();
        const spoofed = await fresh(`${f.node.url}/by-host`, {
          headers: { 'x-forwarded-host': `ws-${f.ws.id}.localhost`, authorization: `Bearer ${token}` },
        });
        expect(spoofed.status).toBe(404);
      });

      it('exchanges ?token= at /_auth for an HttpOnly cookie and redirects without the token', async () => {
        const host = `ws-${f.ws.id}.localhost:${new URL(f.node.url).port}`;
        const res = await fresh(`${f.node.url}/_auth?token=${token}`, {
          redirect: 'manual',
          headers: { host },
        });
        expect(res.status).toBe(303);
        expect(res.headers.get('location')).toBe('/');
        const cookie = res.headers.get('set-cookie')!;
        expect(cookie).toStartWith(`warren_token=${token};`);
        expect(cookie).toContain('Path=/;');
        expect(cookie).toContain('HttpOnly');
        expect(cookie).toContain('SameSite=Lax');
        const withCookie = await fresh(`${f.node.url}/after-cookie`, {
          headers: { host, cookie: `warren_token=${token}; other=1` },
        });
        expect(withCookie.status).toBe(200);
        const e = (await withCookie.json()) as Echo;
        expect(e.headers.cookie).toBe('other=1');
      });

      it('refuses the cookie exchange for a bad token and sets no cookie', async () => {
        const bad = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, signer: 'unknown' });
        const host = `ws-${f.ws.id}.localhost:${new URL(f.node.url).port}`;
        const res = await fresh(`${f.node.url}/_auth?token=${bad}`, {
          redirect: 'manual',
          headers: { host },
        });
        expect(res.status).toBe(401);
        expect(res.headers.get('set-cookie')).toBeNull();
      });

      it('streams request and response bodies', async () => {
        const post = await fresh(`${f.node.url}/w/${f.ws.id}/upload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
          body: 'x'.repeat(100_000),
        });
        expect(((await post.json()) as Echo).body.length).toBe(100_000);
        const res = await fresh(`${f.node.url}/w/${f.ws.id}/stream`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const reader = res.body!.getReader();
        const first = new TextDecoder().decode((await reader.read()).value);
        // A buffering proxy would hand over all three chunks at once.
        expect(first).toStartWith('chunk0');
        expect(first).not.toContain('chunk2');
        let rest = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          rest += new TextDecoder().decode(value);
        }
        expect(first + rest).toBe('chunk0\nchunk1\nchunk2\n');
      });

      it('passes compressed bodies through untouched, with and without a request body', async () => {
        const auth = { authorization: `Bearer ${token}` };
        const get = await fresh(`${f.node.url}/w/${f.ws.id}/gzip`, { headers: auth });
        expect(get.headers.get('content-encoding')).toBe('gzip');
        expect(await get.text()).toBe('compressed GET');
        const post = await fresh(`${f.node.url}/w/${f.ws.id}/gzip`, {
          method: 'POST',
          headers: auth,
          body: 'x',
        });
        expect(post.headers.get('content-encoding')).toBe('gzip');
        expect(await post.text()).toBe('compressed POST');
      });

      it('answers HEAD without a body and keeps the pooled connection in step', async () => {
        const auth = { authorization: `Bearer ${token}` };
        for (let i = 0; i < 3; i++) {
          const head = await fresh(`${f.node.url}/w/${f.ws.id}/head-${i}`, { method: 'HEAD', headers: auth });
          expect(head.status).toBe(200);
          expect(await head.text()).toBe('');
          const get = await fresh(`${f.node.url}/w/${f.ws.id}/get-${i}`, { headers: auth });
          expect(((await get.json()) as Echo).path).toBe(`/get-${i}`);
        }
      });

      it('answers 503 with Retry-After, not a 502, while a crashed app restarts, then serves again', async () => {
        const ws = await f.addWorkspace();
        const t = await f.issuer.mint({ workspaceId: ws.id, userId: ws.ownerId });
        const auth = { authorization: `Bearer ${t}` };
        const crash = await fresh(`${f.node.url}/w/${ws.id}/crash`, { headers: auth });
        expect(crash.status).toBe(503);
        expect(crash.headers.get('retry-after')).toBe('2');
        await eventually(async () => {
          const r = await fresh(`${f.node.url}/w/${ws.id}/again`, { headers: auth });
          await r.arrayBuffer();
          if (r.status !== 200) expect(r.status).toBe(503);
          return r.status === 200;
        }, 'the restarted app');
      });

      it('passes WebSockets through with ?token=, which the app never sees', async () => {
        const ws = new WebSocket(
          `${f.node.url.replace('http', 'ws')}/w/${f.ws.id}/socket?token=${token}&x=1`,
          ['chat'],
        );
        const messages: string[] = [];
        const next = () =>
          new Promise<string>((resolve, reject) => {
            ws.onmessage = (e) => resolve(String(e.data));
            ws.onerror = () => reject(new Error('socket error'));
          });
        const hello = JSON.parse(await next()) as { hello: string; headers: Record<string, string> };
        expect(hello.hello).toBe('/socket?x=1');
        expect(hello.headers['x-warren-user']).toBe(f.owner);
        expect(ws.protocol).toBe('chat');
        for (const m of ['one', 'two']) {
          const p = next();
          ws.send(m);
          messages.push(await p);
        }
        expect(messages).toEqual(['one', 'two']);
        ws.close();
      });

      it('never forwards a request header whose name holds an underscore (read as a dash by CGI-style apps)', async () => {
        const smuggled = {
          x_warren_user: 'admin',
          X_Forwarded_For: '6.6.6.6',
          x_forwarded_host: 'evil.example',
          remote_user: 'admin',
        };
        const headers = { ...smuggled, authorization: `Bearer ${token}`, 'x-custom': 'kept' };
        const underscored = (h: Record<string, string>) => Object.keys(h).filter((k) => k.includes('_'));
        const get = (await (await fresh(`${f.node.url}/w/${f.ws.id}/u`, { headers })).json()) as Echo;
        expect(underscored(get.headers)).toEqual([]);
        expect(get.headers['x-custom']).toBe('kept');
        expect(get.headers['x-warren-user']).toBe(f.owner);
        const post = await fresh(`${f.node.url}/w/${f.ws.id}/u`, { method: 'POST', headers, body: 'x' });
        expect(underscored(((await post.json()) as Echo).headers)).toEqual([]);
        // A WebSocket handshake: piped to the app on the fast path, bridged by the full server otherwise.
        const ws = new WebSocket(`${f.node.url.replace('http', 'ws')}/w/${f.ws.id}/u?token=${token}`, {
          headers: smuggled,
        } as unknown as string[]);
        const hello = await new Promise<string>((resolve, reject) => {
          ws.onmessage = (e) => resolve(String(e.data));
          ws.onerror = () => reject(new Error('socket error'));
        });
        ws.close();
        const seen = (JSON.parse(hello) as { headers: Record<string, string> }).headers;
        expect(underscored(seen)).toEqual([]);
        expect(seen['x-warren-user']).toBe(f.owner);
      });

      it("never passes on an app's Set-Cookie for a Warren cookie, and keeps the app's own", async () => {
        const auth = { authorization: `Bearer ${token}` };
        for (const init of [{ headers: auth }, { method: 'POST', headers: auth, body: 'x' }]) {
          const res = await fresh(`${f.node.url}/w/${f.ws.id}/set-cookie`, init);
          expect(((await res.json()) as { planted: boolean }).planted).toBe(true);
          expect(res.headers.getSetCookie()).toEqual(['theme=dark; Path=/']);
        }
        // The WebSocket handshake's 101 too (the fast path passes the app's head on itself).
        const { host } = new URL(f.node.url);
        const out = await rawSession(
          f.node.url,
          [
            `GET /w/${f.ws.id}/set-cookie?token=${token} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\n` +
              'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
          ],
          (r) => r.includes('\r\n\r\n'),
        );
        const head = out.slice(0, out.indexOf('\r\n\r\n'));
        expect(head).toStartWith('HTTP/1.1 101');
        expect(head.toLowerCase()).not.toContain('warren_');
      });

      it('refuses a WebSocket without a proof before touching the app', async () => {
        const before = f.appLog().length;
        const ws = new WebSocket(`${f.node.url.replace('http', 'ws')}/w/${f.ws.id}/socket`);
        const code = await new Promise<string>((resolve) => {
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('error');
        });
        expect(code).toBe('error');
        expect(f.appLog().length).toBe(before);
      });
    });
  });
}
