// The node's listener at its edges: a missing or odd Host, or a request that makes a handler throw, gets a 400 in
// the one error shape, never Bun's development page with source lines, and never reaches an app.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type ProxyFixture, rawSession, startProxyFixture } from '../testing/index.ts';

/** The status, headers and body of the last response in `raw`. */
function lastResponse(raw: string): { status: number; head: string; body: string } {
  const at = raw.lastIndexOf('HTTP/1.1 ');
  const end = raw.indexOf('\r\n\r\n', at);
  return {
    status: Number(raw.slice(at + 9, at + 12)),
    head: raw.slice(at, end).toLowerCase(),
    body: raw.slice(end + 4),
  };
}

function expectErrorShape(raw: string, status: number, code: string): void {
  const r = lastResponse(raw);
  expect(r.status).toBe(status);
  expect(r.head).toContain('content-type: application/json');
  expect(JSON.parse(r.body)).toEqual({ error: { code, message: expect.any(String) } });
  expect(raw.toLowerCase()).not.toContain('<html');
}

for (const fastPath of [true, false]) {
  describe(`with the fast path ${fastPath ? 'on' : 'off'}`, () => {
    let f: ProxyFixture;
    let token: string;
    beforeAll(async () => {
      f = await startProxyFixture({ fastPath });
      token = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, scopes: ['http'] });
    });
    afterAll(() => f.close());

    describe('Request edges', () => {
      for (const [name, host] of [
        ['a space', 'a b'],
        ['userinfo', 'evil@localhost'],
        ['a broken IPv6 literal', '[zz'],
        ['a path', 'localhost/x?y'],
        ['nothing', ''],
      ]) {
        it(`answers 400 in the error shape for a Host with ${name}, on the node API and on a workspace`, async () => {
          for (const path of ['/health', `/w/${f.ws.id}/odd-host`]) {
            const out = await rawSession(f.node.url, [
              `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
            ]);
            expectErrorShape(out, 400, 'invalid_request');
          }
          expect(f.appLog().some((l) => l.includes('odd-host'))).toBe(false);
        });
      }

      it('answers 400 in the error shape for two Host headers', async () => {
        const out = await rawSession(f.node.url, [
          `GET /w/${f.ws.id}/two-hosts HTTP/1.1\r\nHost: a\r\nHost: b\r\nAuthorization: Bearer ${token}\r\n\r\n`,
        ]);
        expectErrorShape(out, 400, 'invalid_request');
        expect(f.appLog().some((l) => l.includes('two-hosts'))).toBe(false);
      });

      it('answers 400 in the error shape for an HTTP/1.0 request without Host', async () => {
        const out = await rawSession(f.node.url, [
          `GET /w/${f.ws.id}/no-host HTTP/1.0\r\nAuthorization: Bearer ${token}\r\n\r\n`,
        ]);
        expectErrorShape(out, 400, 'invalid_request');
        expect(f.appLog().some((l) => l.includes('no-host'))).toBe(false);
      });

      it('answers 400 for an HTTP/1.1 request without Host, and never passes it to the app', async () => {
        const out = await rawSession(f.node.url, [
          `GET /w/${f.ws.id}/no-host-11 HTTP/1.1\r\nAuthorization: Bearer ${token}\r\n\r\n`,
        ]);
        // The raw front answers in the error shape; Bun.serve alone refuses it in its parser, before any handler
        // runs, with a bare 400 and no body (no page either).
        if (fastPath) expectErrorShape(out, 400, 'invalid_request');
        else {
          expect(lastResponse(out).status).toBe(400);
          expect(out.toLowerCase()).not.toContain('<html');
        }
        expect(f.appLog().some((l) => l.includes('no-host-11'))).toBe(false);
      });

      it('answers a request that makes a handler throw in the error shape, never with a page', async () => {
        const { host } = new URL(f.node.url);
        // Bun's WebSocket client throws on a repeated subprotocol. With the fast path on, a connection that was
        // tunnelled to the full server stays so: a first request for the node API makes the handshake reach it.
        const handshake =
          `GET /w/${f.ws.id}/sock?token=${token} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\n` +
          'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
          'Sec-WebSocket-Protocol: chat, chat\r\n\r\n';
        const out = await rawSession(f.node.url, [
          `GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
          handshake,
        ]);
        expect(out).toStartWith('HTTP/1.1 200');
        expectErrorShape(out, 400, 'invalid_request');
      });
    });
  });
}
