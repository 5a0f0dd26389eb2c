// The raw front: which requests take the fast path, pipelining, large bodies under backpressure, and a connection
// that switches to the tunnel midway.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type ProxyFixture, rawSession, startProxyFixture } from '../testing/index.ts';

let f: ProxyFixture;
let token: string;
beforeAll(async () => {
  f = await startProxyFixture({ fastPath: true });
  token = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, scopes: ['http'] });
});
afterAll(() => f.close());

async function fastCount(outcome = 'proxied_fast'): Promise<number> {
  const text = await (await fetch(`${f.node.url}/metrics`, { keepalive: false })).text();
  return Number(
    new RegExp(`warren_proxy_requests_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0,
  );
}

/** Sends raw bytes on one connection and collects everything until `done(received)` or the peer closes. */
async function rawExchange(bytes: string, done: (received: string) => boolean): Promise<string> {
  return rawSession(f.node.url, [bytes], done);
}

const count = (s: string, needle: string) => s.split(needle).length - 1;

describe('Raw front', () => {
  it('takes plain GETs with a verified token on the fast path', async () => {
    const before = await fastCount();
    // A fresh connection: fetch() may reuse one the test issuer's push already moved into the tunnel.
    const out = await rawExchange(
      `GET /w/${f.ws.id}/fast HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      (r) => r.includes('"path":"/fast"') && r.endsWith('}'),
    );
    expect(out).toStartWith('HTTP/1.1 200');
    expect(await fastCount()).toBe(before + 1);
  });

  it('answers pipelined requests in order on one connection', async () => {
    const req = (path: string) =>
      `GET /w/${f.ws.id}${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    const out = await rawExchange(
      req('/one') + req('/two') + req('/three'),
      (r) => count(r, '"path":') === 3,
    );
    expect(count(out, 'HTTP/1.1 200')).toBe(3);
    const order = ['/one', '/two', '/three'].map((p) => out.indexOf(`"path":"${p}"`));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('passes a large body intact on the fast path', async () => {
    const n = 4_000_000;
    const before = await fastCount();
    const out = await rawExchange(
      `GET /w/${f.ws.id}/big?n=${n} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      (r) => {
        const end = r.indexOf('\r\n\r\n');
        return end > 0 && r.length >= end + 4 + n;
      },
    );
    expect(await fastCount()).toBe(before + 1);
    const body = Buffer.from(out.slice(out.indexOf('\r\n\r\n') + 4), 'latin1');
    expect(body.length).toBe(n);
    let bad = -1;
    for (let i = 0; i < n; i++) {
      if (body[i] !== i % 251) {
        bad = i;
        break;
      }
    }
    expect(bad).toBe(-1);
  });

  it('tunnels the rest of a connection once a request needs the full server, answering each correctly', async () => {
    const get = (path: string) =>
      `GET /w/${f.ws.id}${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    const post = `POST /w/${f.ws.id}/posted HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 5\r\n\r\nhello`;
    const noToken = `GET /w/${f.ws.id}/refused HTTP/1.1\r\nHost: x\r\n\r\n`;
    // One at a time: Bun.serve (behind the tunnel) does not answer pipelined requests to async handlers.
    const out = await rawSession(
      f.node.url,
      [get('/a'), post, noToken, get('/b')],
      (r) => count(r, '"path":"/b"') === 1,
    );
    const statuses = [...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(['200', '200', '401', '200']);
    expect(out).toContain('"body":"hello"');
    expect(out.indexOf('"path":"/a"')).toBeLessThan(out.indexOf('"path":"/posted"'));
    expect(out.indexOf('"path":"/posted"')).toBeLessThan(out.indexOf('"path":"/b"'));
  });

  it('leaves requests with odd syntax to the full server, so nothing smuggled reaches the app', async () => {
    const before = await fastCount();
    const injected = `GET /w/${f.ws.id}/odd HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nX-A: 1\nX-Injected: yes\r\n\r\n`;
    const out = await rawExchange(
      injected,
      (r) => r.includes('\r\n\r\n') && (r.endsWith('}') || !r.startsWith('HTTP/1.1 200')),
    );
    expect(await fastCount()).toBe(before);
    expect(out).not.toContain('x-injected');
  });

  it('pipes a WebSocket with ?token= straight to the app, without the token', async () => {
    const before = await fastCount('websocket_fast');
    const ws = new WebSocket(`${f.node.url.replace('http', 'ws')}/w/${f.ws.id}/sock?token=${token}&k=v`);
    const hello = await new Promise<string>((resolve, reject) => {
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error('refused'));
    });
    expect(JSON.parse(hello).hello).toBe('/sock?k=v');
    const echo = new Promise<string>((resolve) => {
      ws.onmessage = (e) => resolve(String(e.data));
    });
    ws.send('ping');
    expect(await echo).toBe('ping');
    ws.close();
    expect(await fastCount('websocket_fast')).toBe(before + 1);
  });

  it('passes on an app refusing the handshake and closes, so nothing more reaches the app unchecked', async () => {
    const handshake = `GET /w/${f.ws.id}/no-upgrade?token=${token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    const smuggled = `GET /w/${f.ws.id}/smuggled HTTP/1.1\r\nHost: x\r\n\r\n`;
    const out = await rawExchange(handshake + smuggled, () => false); // until the node closes
    expect(out).toStartWith('HTTP/1.1 404');
    expect(out).toContain('"refused":true');
    expect(out).not.toContain('smuggled');
    expect(f.appLog().some((l) => l.includes('/smuggled'))).toBe(false);
  });

  it("never sends the node's own paths (cookie exchange, terminal, agent) to the app", async () => {
    const before = await fastCount();
    for (const path of ['/_auth', '/_terminal', '/_terminal/sessions', '/_agent', '/_agent/search?q=x']) {
      const out = await rawExchange(
        `GET /w/${f.ws.id}${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
        (r) => {
          const end = r.indexOf('\r\n\r\n');
          const len = Number(/content-length: *(\d+)/i.exec(r)?.[1] ?? -1);
          return end > 0 && len >= 0 && r.length >= end + 4 + len;
        },
      );
      expect(out).toStartWith('HTTP/1.1 ');
    }
    expect(await fastCount()).toBe(before);
    expect(f.appLog().some((l) => l.includes('/_'))).toBe(false);
  });

  it('serves the node API through the tunnel', async () => {
    const res = await fetch(`${f.node.url}/health`);
    expect(((await res.json()) as { role: string }).role).toBe('node');
  });
});
