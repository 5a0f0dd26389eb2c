// MeshForwarder: the ingress side of routing — a host that is down gives 503 with Retry-After, a host's own 5xx
// passes through, a stale entry (421) is retried once with the updated route, and the hop marker is always ours.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Server } from 'bun';
import { type Jwks, newId } from '../../contract/index.ts';
import type { Route } from '../../mesh/index.ts';
import { KeySet, Revocations, TokenVerifier } from '../auth/index.ts';
import { Metrics } from '../metrics.ts';
import { eventually, startTestIssuer, type TestIssuer } from '../testing/index.ts';
import type { Convergence } from './convergence.ts';
import { type ForwardConfig, localForwardConfig } from './forward-config.ts';
import { HOP_HEADER, MeshForwarder, type MeshRoutes } from './mesh-forward.ts';
import { routeRequest, type WorkspaceRoute } from './route.ts';
import type { SocketData } from './socket-data.ts';

let issuer: TestIssuer;
let verifier: TokenVerifier;
const hosts: Server<undefined>[] = [];
const seen: { host: string; hop: string | null }[] = [];
const ws = newId('workspace');
const user = newId('user');

/** A fake hosting node: answers with `answer(req)` and records what it received. */
function host(name: string, answer: (req: Request) => Response | Promise<Response>): string {
  const s = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      seen.push({ host: name, hop: req.headers.get(HOP_HEADER) });
      return answer(req);
    },
  });
  hosts.push(s);
  return `http://127.0.0.1:${s.port}`;
}

const alive = (nodeId: string, proxyUrl: string | undefined, state = 'alive'): Route => ({
  found: true,
  workspace: { workspaceId: ws, nodeId, status: 'running', ports: [3000] },
  nodeId,
  host: { state: state as 'alive', proxyUrl },
  available: state === 'alive',
  retryAfterSeconds: state === 'alive' ? 0 : 4,
  conflicts: [],
});

function forwarder(
  route: () => Route,
  config: Partial<ForwardConfig> = {},
  reported: string[] = [],
  convergence?: Convergence,
): MeshForwarder {
  const routes: MeshRoutes = {
    selfId: 'nd-ingress',
    route,
    state: () => 'alive',
    reportUnreachable: (id) => reported.push(id),
  };
  return new MeshForwarder({
    verifier,
    routes,
    metrics: new Metrics(),
    config: { ...localForwardConfig(), ...config },
    convergence,
  });
}

/** A fake host that accepts connections and never says a word (a peer behind a partition, mid-request). */
function silentHost(): { url: string; connections: () => number } {
  let n = 0;
  const l = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open() {
        n++;
      },
      data() {},
    },
  });
  silent.push(l);
  return { url: `http://127.0.0.1:${l.port}`, connections: () => n };
}
const silent: { stop(closeActive?: boolean): void }[] = [];

/** Deadlines short enough for a test on loopback. */
const QUICK = { connectTimeoutMs: 100, firstByteTimeoutMs: 200, breakerCooldownMs: 60_000 };

async function ask(
  f: MeshForwarder,
  extra: Record<string, string> = {},
  init: RequestInit = {},
  issuedAgoSec = 0,
) {
  const iat = Math.floor(Date.now() / 1000) - issuedAgoSec;
  const token = await issuer.mint({ workspaceId: ws, userId: user, iat });
  const url = `http://ingress/w/${ws}/hello`;
  const req = new Request(url, { ...init, headers: { authorization: `Bearer ${token}`, ...extra } });
  const r = routeRequest(url, 'ingress', 'localhost') as WorkspaceRoute;
  return (await f.handle(req, undefined as unknown as Server<SocketData>, r, false)) as Response;
}

beforeAll(async () => {
  issuer = await startTestIssuer({ heartbeatIntervalMs: 60_000 });
  const keys = new KeySet(
    async () => (await (await fetch(`${issuer.url}/.well-known/jwks.json`)).json()) as Jwks,
    0,
  );
  await keys.refresh();
  verifier = new TokenVerifier({
    keys,
    revocations: new Revocations(),
    issuer: () => issuer.issuer,
    cacheSize: 100,
    clockToleranceSec: 5,
  });
});
afterAll(async () => {
  for (const h of hosts) h.stop(true);
  for (const l of silent) l.stop(true);
  await issuer.stop();
});

describe('MeshForwarder', () => {
  it('checks the logs scope at the ingress before forwarding `/_logs`', async () => {
    seen.length = 0;
    const b = host('b', () => Response.json({ lines: [] }));
    const f = forwarder(() => alive('nd-b', b));
    const logsOf = async (scopes: ('http' | 'terminal' | 'agent' | 'logs')[]) => {
      const token = await issuer.mint({ workspaceId: ws, userId: user, scopes });
      const url = `http://ingress/w/${ws}/_logs?tail=5`;
      const req = new Request(url, { headers: { authorization: `Bearer ${token}` } });
      const r = routeRequest(url, 'ingress', 'localhost') as WorkspaceRoute;
      return (await f.handle(req, undefined as unknown as Server<SocketData>, r, false)) as Response;
    };
    expect((await logsOf(['http', 'terminal', 'agent'])).status).toBe(403);
    expect(seen).toEqual([]);
    expect((await logsOf(['logs'])).status).toBe(200);
    expect(seen).toEqual([{ host: 'b', hop: 'nd-ingress' }]);
  });

  it('forwards to the hosting node with our hop marker', async () => {
    seen.length = 0;
    const b = host('b', () => new Response('from b'));
    const res = await ask(forwarder(() => alive('nd-b', b)));
    expect(await res.text()).toBe('from b');
    expect(seen).toEqual([{ host: 'b', hop: 'nd-ingress' }]);
  });

  it('never forwards a request that already carries a hop marker: it answers 421 instead (no loops)', async () => {
    seen.length = 0;
    const b = host('b', () => new Response('from b'));
    const res = await ask(
      forwarder(() => alive('nd-b', b)),
      { [HOP_HEADER]: 'nd-somebody' },
    );
    expect(res.status).toBe(421);
    expect(((await res.json()) as { error: { detail: { nodeId: string } } }).error.detail.nodeId).toBe(
      'nd-b',
    );
    expect(seen).toEqual([]);
  });

  it('passes a healthy host’s own 5xx through unchanged (never turned into a 503)', async () => {
    const b = host('b', () => new Response('app broke', { status: 500 }));
    const res = await ask(forwarder(() => alive('nd-b', b)));
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('app broke');
  });

  it('answers 503 with Retry-After without calling a host its membership holds suspect or dead', async () => {
    seen.length = 0;
    const b = host('b', () => new Response('should not be asked'));
    for (const state of ['suspect', 'dead']) {
      const res = await ask(forwarder(() => alive('nd-b', b, state)));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('4');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    }
    expect(seen).toEqual([]);
  });

  it('answers 503 with Retry-After when the host does not answer at all', async () => {
    const gone = host('gone', () => new Response(''));
    hosts.pop()?.stop(true);
    const res = await ask(forwarder(() => alive('nd-gone', gone)));
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('retries once with the updated route when the host answers 421 (stale entry)', async () => {
    seen.length = 0;
    let moved = false;
    const c = host('c', () => new Response('from c'));
    const b = host('b', () => {
      moved = true;
      return Response.json(
        { error: { code: 'misdirected', message: 'not here', detail: { nodeId: 'nd-c' } } },
        { status: 421 },
      );
    });
    const res = await ask(forwarder(() => (moved ? alive('nd-c', c) : alive('nd-b', b))));
    expect(await res.text()).toBe('from c');
    expect(seen.map((s) => s.host)).toEqual(['b', 'c']);
  });

  it('gives its registry a moment to learn a move the stale host names, then follows it', async () => {
    seen.length = 0;
    let learnedAt = Number.POSITIVE_INFINITY;
    const c = host('c', () => new Response('from c'));
    const b = host('b', () => {
      // Our registry hears of the move a little after the stale host said so.
      learnedAt = Date.now() + 200;
      return Response.json(
        { error: { code: 'misdirected', message: 'not here', detail: { nodeId: 'nd-c' } } },
        { status: 421 },
      );
    });
    const res = await ask(forwarder(() => (Date.now() >= learnedAt ? alive('nd-c', c) : alive('nd-b', b))));
    expect(await res.text()).toBe('from c');
    expect(seen.map((x) => x.host)).toEqual(['b', 'c']);
  });

  it('answers 503 with Retry-After when the stale host names nobody and the registry has nothing newer', async () => {
    const b = host('b', () =>
      Response.json(
        { error: { code: 'misdirected', message: 'not here', detail: { nodeId: null } } },
        { status: 421 },
      ),
    );
    const res = await ask(forwarder(() => alive('nd-b', b)));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('does not retry more than once: a second 421 goes back to the client', async () => {
    seen.length = 0;
    let n = 0;
    const hostNames = ['b', 'c'];
    const urls = hostNames.map((name) =>
      host(name, () =>
        Response.json({ error: { code: 'misdirected', message: 'not here' } }, { status: 421 }),
      ),
    );
    const res = await ask(
      forwarder(() => alive(`nd-${hostNames[Math.min(n++, 1)]}`, urls[Math.min(n - 1, 1)])),
    );
    expect(res.status).toBe(421);
    expect(seen.length).toBe(2);
  });

  it('answers 503 with Retry-After, not 404, for a workspace its registry lacks until it has synced', async () => {
    const unknown = () => ({ found: false }) as Route;
    const self = () => alive('nd-ingress', 'http://127.0.0.1:1');
    let inSync = false;
    const convergence = { inSync: () => inSync, windowMs: 30_000 };
    for (const route of [unknown, self]) {
      // An old token: only the registry's state decides.
      const res = await ask(forwarder(route, {}, [], convergence), {}, {}, 120);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unavailable');
      expect(body.error.message).toContain('still learning');
    }
    inSync = true;
    for (const route of [unknown, self]) {
      expect((await ask(forwarder(route, {}, [], convergence), {}, {}, 120)).status).toBe(404);
    }
  });

  it('answers 503 for a token younger than the window though in sync, 404 once it is older', async () => {
    const convergence = { inSync: () => true, windowMs: 30_000 };
    const f = forwarder(() => ({ found: false }), {}, [], convergence);
    const fresh = await ask(f, {}, {}, 5);
    expect(fresh.status).toBe(503);
    expect(((await fresh.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    expect((await ask(f, {}, {}, 31)).status).toBe(404);
  });

  it('still answers 404 for a token of another workspace, whatever the registry knows', async () => {
    const f = forwarder(() => ({ found: false }), {}, [], { inSync: () => false, windowMs: 30_000 });
    const url = `http://ingress/w/${ws}/hello`;
    const r = routeRequest(url, 'ingress', 'localhost') as WorkspaceRoute;
    const other = await issuer.mint({ workspaceId: newId('workspace'), userId: user });
    const req = new Request(url, { headers: { authorization: `Bearer ${other}` } });
    expect(((await f.handle(req, undefined as never, r, false)) as Response).status).toBe(404);
  });

  it('refuses without a valid token before asking anyone', async () => {
    seen.length = 0;
    const b = host('b', () => new Response('x'));
    const f = forwarder(() => alive('nd-b', b));
    const url = `http://ingress/w/${ws}/hello`;
    const r = routeRequest(url, 'ingress', 'localhost') as WorkspaceRoute;
    const res = (await f.handle(new Request(url), undefined as never, r, false)) as Response;
    expect(res.status).toBe(401);
    const other = await issuer.mint({ workspaceId: newId('workspace'), userId: user });
    const res2 = (await f.handle(
      new Request(url, { headers: { authorization: `Bearer ${other}` } }),
      undefined as never,
      r,
      false,
    )) as Response;
    expect(res2.status).toBe(404);
    expect(seen).toEqual([]);
  });

  it("gives its own refusals to the node's answer for page loads, and passes a host's or an app's 401 on as it is", async () => {
    seen.length = 0;
    const b = host('b', () => new Response('app says no', { status: 401 }));
    const calls: string[] = [];
    const f = new MeshForwarder({
      verifier,
      routes: { selfId: 'nd-ingress', route: () => alive('nd-b', b), state: () => 'alive' },
      metrics: new Metrics(),
      config: localForwardConfig(),
      unauthorized: (req, route) => {
        calls.push(`${req.method} ${route.path}`);
        return new Response(null, { status: 303, headers: { location: 'http://control/fresh' } });
      },
    });
    const url = `http://ingress/w/${ws}/page`;
    const r = routeRequest(url, 'ingress', 'localhost') as WorkspaceRoute;
    const none = (await f.handle(new Request(url), undefined as never, r, false)) as Response;
    expect(none.status).toBe(303);
    const bad = (await f.handle(
      new Request(url, { headers: { cookie: 'warren_token=eyJhbGciOiJFZERTQSJ9.e30.c2ln' } }),
      undefined as never,
      r,
      false,
    )) as Response;
    expect(bad.status).toBe(303);
    expect(calls).toEqual(['GET /page', 'GET /page']);
    expect(seen).toEqual([]);
    // A valid token reaches the host; the app's own 401 is the app's business.
    const res = await ask(f);
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('app says no');
    expect(calls).toHaveLength(2);
  });

  it('answers 503 within its deadlines when the host accepts but never answers, and reports it to membership', async () => {
    const h = silentHost();
    const reported: string[] = [];
    const res = await ask(forwarder(() => alive('nd-silent', h.url), QUICK, reported));
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    expect(reported).toEqual(['nd-silent']);
  });

  it('answers 503 at once without contacting a host whose breaker opened after failures in a row', async () => {
    const h = silentHost();
    const reported: string[] = [];
    const f = forwarder(() => alive('nd-silent', h.url), { ...QUICK, breakerFailures: 2 }, reported);
    for (let i = 0; i < 2; i++) expect((await ask(f)).status).toBe(503);
    const contacted = h.connections();
    const res = await ask(f);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('recently');
    expect(h.connections()).toBe(contacted);
    expect(reported.length).toBe(2);
  });

  it('lets one trial through after the cool-down and closes the breaker when the host answers again', async () => {
    let up = false;
    // Down: it takes requests and never answers them, /health included.
    const b = host('b', () => (up ? new Response('back') : new Promise<Response>(() => {})));
    const f = forwarder(() => alive('nd-b', b), { ...QUICK, breakerFailures: 1, breakerCooldownMs: 300 });
    expect((await ask(f)).status).toBe(503);
    seen.length = 0;
    expect((await ask(f)).status).toBe(503);
    expect(seen).toEqual([]);
    up = true;
    await eventually(async () => (await ask(f)).status === 200, 'the trial after the cool-down', 5_000);
    expect(await (await ask(f)).text()).toBe('back');
  });

  it('caps forwards waiting on one host: the excess is answered 503 at once while other hosts still answer', async () => {
    const h = silentHost();
    const b = host('b', () => new Response('from b'));
    let target = h.url;
    const f = forwarder(() => alive(target === b ? 'nd-b' : 'nd-silent', target), {
      ...QUICK,
      firstByteTimeoutMs: 2_000,
      maxInFlightPerHost: 2,
    });
    const stuck = [ask(f), ask(f)];
    await eventually(() => h.connections() === 2, 'two forwards waiting on the silent host', 5_000);
    const excess = await ask(f);
    expect(excess.status).toBe(503);
    expect(excess.headers.get('retry-after')).toBe('1');
    expect(((await excess.json()) as { error: { message: string } }).error.message).toContain('too many');
    target = b;
    expect(await (await ask(f)).text()).toBe('from b');
    for (const r of await Promise.all(stuck)) expect(r.status).toBe(503);
  });

  it('keeps waiting on a slow app past the first-byte deadline while its host answers /health', async () => {
    const b = host('b', async (req) => {
      if (new URL(req.url).pathname === '/health') return new Response('ok');
      await Bun.sleep(3 * QUICK.firstByteTimeoutMs);
      return new Response('slow but fine');
    });
    const reported: string[] = [];
    const res = await ask(forwarder(() => alive('nd-b', b), QUICK, reported));
    expect(await res.text()).toBe('slow but fine');
    expect(reported).toEqual([]);
  });

  it('forwards a request body, and gives the same 503 when a host never answers one', async () => {
    const b = host('b', async (req) => new Response(`got ${await req.text()}`));
    const post = { method: 'POST', body: 'payload' };
    expect(
      await (
        await ask(
          forwarder(() => alive('nd-b', b)),
          {},
          post,
        )
      ).text(),
    ).toBe('got payload');
    const h = silentHost();
    const reported: string[] = [];
    const res = await ask(
      forwarder(() => alive('nd-silent', h.url), QUICK, reported),
      {},
      post,
    );
    expect(res.status).toBe(503);
    expect(reported).toEqual(['nd-silent']);
  });
});
