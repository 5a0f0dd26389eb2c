// The raw front's forwards: a request at node A for a workspace on node B goes straight to B's proxy with the hop
// marker and the client's token, B checks it again, and everything unusual falls back to the full server's path.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type Jwks, newId } from '../../contract/index.ts';
import type { Route } from '../../mesh/index.ts';
import { KeySet, Revocations, TokenVerifier } from '../auth/index.ts';
import {
  hostedRoute,
  type ProxyFixture,
  rawSession,
  startProxyFixture,
  startTestIngress,
} from '../testing/index.ts';
import type { ForwardConfig } from './forward-config.ts';
import { HOP_HEADER } from './mesh-forward.ts';

let b: ProxyFixture;
let verifier: TokenVerifier;
const stops: (() => void)[] = [];

const hosted = hostedRoute;

/** Node A: an ingress hosting nothing, whose registry answers with `route`. */
function ingress(route: (id: string) => Route, config: Partial<ForwardConfig> = {}) {
  const a = startTestIngress({ verifier, route, config });
  stops.push(() => a.stop());
  return { ...a, fast: () => a.count('warren_proxy_requests_total{outcome="forwarded_fast"}') };
}

/** One GET on a fresh connection; the whole answer as text. */
function get(url: string, path: string, token: string, extra = ''): Promise<string> {
  const req = `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${extra}\r\n`;
  return rawSession(url, [req], (r) => {
    const end = r.indexOf('\r\n\r\n');
    const len = /content-length: (\d+)/i.exec(r.slice(0, end));
    return end > 0 && len !== null && r.length >= end + 4 + Number(len[1]);
  });
}

async function bMisdirected(): Promise<number> {
  const text = await (await fetch(`${b.node.url}/metrics`, { keepalive: false })).text();
  return Number(/warren_mesh_forwards_total\{outcome="misdirected_here"\} (\d+)/.exec(text)?.[1] ?? 0);
}

const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  b = await startProxyFixture({ fastPath: true });
  const keys = new KeySet(
    async () => (await (await fetch(`${b.issuer.url}/.well-known/jwks.json`)).json()) as Jwks,
    0,
  );
  await keys.refresh();
  // A's own revocation list: it never hears of the revocation below, so only B can refuse.
  verifier = new TokenVerifier({
    keys,
    revocations: new Revocations(),
    issuer: () => b.issuer.issuer,
    cacheSize: 100,
    clockToleranceSec: 5,
  });
});
afterAll(async () => {
  for (const s of stops) s();
  await b.close();
});

describe('Fast forward', () => {
  it("answers a request for another node's workspace over the fast path, with the hop marker and the token", async () => {
    const a = ingress((id) => hosted(b.node.nodeId, id, b.node.url));
    const token = await b.issuer.mint({ workspaceId: b.ws.id, userId: b.owner, scopes: ['http'] });
    const out = await get(a.url, `/w/${b.ws.id}/there?x=1`, token);
    expect(out).toStartWith('HTTP/1.1 200');
    expect(out).toContain('"path":"/there","search":"?x=1"');
    expect(a.fast()).toBe(1);
    expect(b.appLog()).toContain('GET /there?x=1');
  });

  it('lets the hosting node refuse a token it knows is revoked', async () => {
    const a = ingress((id) => hosted(b.node.nodeId, id, b.node.url));
    const ws = await b.addWorkspace();
    const token = await b.issuer.mint({ workspaceId: ws.id, userId: ws.ownerId, iat: now() - 5 });
    expect(await get(a.url, `/w/${ws.id}/before`, token)).toStartWith('HTTP/1.1 200');
    b.issuer.revoke(`workspace:${ws.id}`, now());
    await b.node.heartbeatNow();
    const out = await get(a.url, `/w/${ws.id}/after`, token);
    expect(a.fast()).toBe(2);
    expect(out).toStartWith('HTTP/1.1 401');
    expect(b.appLog(ws.id)).not.toContain('GET /after');
  });

  it('checks the token here before anything leaves: a token for another workspace is never forwarded', async () => {
    const a = ingress((id) => hosted(b.node.nodeId, id, b.node.url));
    const other = await b.issuer.mint({ workspaceId: newId('workspace'), userId: b.owner, scopes: ['http'] });
    const out = await get(a.url, `/w/${b.ws.id}/wrong`, other);
    expect(out).toStartWith('HTTP/1.1 404');
    expect(a.fast()).toBe(0);
  });

  it('never forwards a request the client marked with the hop header itself', async () => {
    const a = ingress((id) => hosted(b.node.nodeId, id, b.node.url));
    const token = await b.issuer.mint({ workspaceId: b.ws.id, userId: b.owner, scopes: ['http'] });
    const out = await get(a.url, `/w/${b.ws.id}/marked`, token, `${HOP_HEADER}: nd-forged\r\n`);
    expect(out).toStartWith('HTTP/1.1 421');
    expect(a.fast()).toBe(0);
  });

  it("retries a 421 from the host once through the full server's path with the updated route", async () => {
    const elsewhere = newId('workspace');
    const seen: (string | null)[] = [];
    const c = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch(req) {
        seen.push(req.headers.get(HOP_HEADER));
        return new Response('moved here', { headers: { 'content-type': 'text/plain' } });
      },
    });
    stops.push(() => c.stop(true));
    // The fast path and the full server's first try still see B; B hosts no such workspace and, seeing the hop
    // marker, says 421 (without it B would look the workspace up itself and answer 404 or 503).
    let asked = 0;
    const a = ingress((id) =>
      ++asked <= 2 ? hosted(b.node.nodeId, id, b.node.url) : hosted('nd-c', id, `http://127.0.0.1:${c.port}`),
    );
    const token = await b.issuer.mint({ workspaceId: elsewhere, userId: b.owner, scopes: ['http'] });
    const before = await bMisdirected();
    const out = await get(a.url, `/w/${elsewhere}/moved`, token);
    expect(out).toStartWith('HTTP/1.1 200');
    expect(out).toEndWith('moved here');
    expect(a.fast()).toBe(1);
    expect((await bMisdirected()) - before).toBe(2);
    expect(seen).toEqual(['nd-ingress']);
  });

  it('answers 503 for a host that is gone, and the shared breaker knows of the failure', async () => {
    const l = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const dead = `http://127.0.0.1:${l.port}`;
    l.stop(true);
    // One failure opens the breaker: the full server's path then refuses at once, without a second try.
    const a = ingress((id) => hosted('nd-dead', id, dead), { breakerFailures: 1 });
    const token = await b.issuer.mint({ workspaceId: b.ws.id, userId: b.owner, scopes: ['http'] });
    const out = await get(a.url, `/w/${b.ws.id}/gone`, token);
    expect(out).toStartWith('HTTP/1.1 503');
    expect(out).toContain('did not answer recently');
    expect(a.reported).toEqual(['nd-dead']);
    expect(a.fast()).toBe(1);
  });

  it('answers 503 for a host that accepts and then never answers, instead of hanging', async () => {
    const l = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    stops.push(() => l.stop(true));
    const a = ingress((id) => hosted('nd-silent', id, `http://127.0.0.1:${l.port}`), {
      connectTimeoutMs: 100,
      firstByteTimeoutMs: 200,
    });
    const token = await b.issuer.mint({ workspaceId: b.ws.id, userId: b.owner, scopes: ['http'] });
    const out = await get(a.url, `/w/${b.ws.id}/silent`, token);
    expect(out).toStartWith('HTTP/1.1 503');
    expect(a.fast()).toBe(1);
    expect(a.reported).toContain('nd-silent');
  });
});
