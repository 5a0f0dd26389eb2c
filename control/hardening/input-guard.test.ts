// The attacks the input guard stops, each performed in-process against the real app and seen refused.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { connect } from 'node:net';
import { createControlApp } from '../app.ts';
import type { Provider } from '../providers/index.ts';
import { eventually, FakeClock, startTestControl, type TestControl } from '../testing/index.ts';
import { type HardeningConfig, localHardeningConfig, notePeerAddress, type RateLimits } from './index.ts';

let control: TestControl;
let adminCookie: string;
/** Node ids the provider was asked to create: POST /api/v1/nodes must never reach it with a bad body. */
const provisioned: string[] = [];
const recordingProvider: Provider = {
  kind: 'local',
  async create(request) {
    provisioned.push(request.nodeId);
    return { nodeId: request.nodeId, provider: 'local', providerRef: 'recorded' };
  },
  async destroy() {},
  async list() {
    return [];
  },
};

beforeAll(async () => {
  control = await startTestControl({ provider: recordingProvider });
  const me = await control.client.GET('/api/v1/auth/me');
  const session = await control.deps.credentials.sessionFor(me.data!.id);
  adminCookie = `warren_session=${session.secret}`;
});
afterAll(async () => {
  await control?.stop();
});

/** An app on the test control plane's deps with its own (fresh) buckets and these settings. */
function appWith(
  options: { limits?: Partial<RateLimits>; hardening?: Partial<HardeningConfig>; publicUrl?: string } = {},
  clock = control.deps.clock,
) {
  const local = localHardeningConfig();
  const hardening = {
    ...local,
    ...options.hardening,
    rateLimits: { ...local.rateLimits, ...options.limits },
  };
  const infra = {
    ...control.deps.config.infra,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  };
  return createControlApp({ ...control.deps, clock, config: { ...control.deps.config, hardening, infra } });
}

/** A request to the control plane from `peer` (the socket address the server would note). */
function request(path: string, init: RequestInit = {}, peer = '198.51.100.7'): Request {
  const r = new Request(`${control.url}${path}`, init);
  notePeerAddress(r, peer);
  return r;
}

const json = { 'content-type': 'application/json' };
const asAdmin = () => ({ authorization: `Bearer ${control.adminToken}` });
const userNamed = async (name: string) =>
  (await control.deps.store.users.list()).find((u) => u.name === name);
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string } }).error;

describe('CSRF: a cookie-authenticated change must come from our own origin', () => {
  const createUser = (name: string, headers: Record<string, string>) =>
    request('/api/v1/users', {
      method: 'POST',
      headers: { ...json, cookie: adminCookie, ...headers },
      body: JSON.stringify({ name, role: 'admin' }),
    });

  it('refuses an admin session POST whose Origin is another site, and creates no user', async () => {
    const res = await appWith().handle(createUser('csrf-origin', { origin: 'http://127.0.0.1:1' }));
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe('forbidden');
    expect(await userNamed('csrf-origin')).toBeUndefined();
  });

  it('refuses, without Origin, a session POST that Sec-Fetch-Site says came from elsewhere', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const res = await appWith().handle(createUser(`csrf-${site}`, { 'sec-fetch-site': site }));
      expect(res.status).toBe(403);
      expect(await userNamed(`csrf-${site}`)).toBeUndefined();
    }
  });

  it('refuses a session POST from an opaque origin (sandboxed frame, data: URL)', async () => {
    const res = await appWith().handle(createUser('csrf-null', { origin: 'null' }));
    expect(res.status).toBe(403);
  });

  it('takes the same POST from its own origin, from WARREN_PUBLIC_URL, and from a client without either header', async () => {
    const own = await appWith().handle(createUser('same-origin', { origin: control.url }));
    expect(own.status).toBe(200);
    const proxied = appWith({ publicUrl: 'https://warren.example.com' });
    expect(
      (await proxied.handle(createUser('via-proxy', { origin: 'https://warren.example.com' }))).status,
    ).toBe(200);
    const cli = await appWith().handle(createUser('no-headers', { 'sec-fetch-site': 'same-origin' }));
    expect(cli.status).toBe(200);
  });

  it('leaves Bearer-token requests alone whatever their Origin', async () => {
    const res = await appWith().handle(
      request('/api/v1/users', {
        method: 'POST',
        headers: { ...json, ...asAdmin(), cookie: adminCookie, origin: 'http://evil.example' },
        body: JSON.stringify({ name: 'bearer-cross-origin' }),
      }),
    );
    expect(res.status).toBe(200);
  });

  it('refuses a bodyless session POST from another origin too (a form with no fields): no forced logout', async () => {
    const res = await appWith().handle(
      request('/api/v1/auth/logout', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: adminCookie,
          origin: 'http://evil.example',
        },
      }),
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
    const me = await appWith().handle(request('/api/v1/auth/me', { headers: { cookie: adminCookie } }));
    expect(me.status).toBe(200);
  });
});

describe('Request bodies', () => {
  it('refuses form, multipart and text bodies with 415, even with a valid token, and acts on none', async () => {
    const bodies: [string, BodyInit][] = [
      ['form', new URLSearchParams({ name: 'form-user', role: 'admin' })],
      [
        'multipart',
        (() => {
          const f = new FormData();
          f.set('name', 'multipart-user');
          return f;
        })(),
      ],
      ['text', new Blob([JSON.stringify({ name: 'text-user' })], { type: 'text/plain' })],
    ];
    for (const [, body] of bodies) {
      const res = await appWith().handle(
        request('/api/v1/users', { method: 'POST', headers: asAdmin(), body }),
      );
      expect(res.status).toBe(415);
      expect((await errorOf(res)).code).toBe('unsupported_media_type');
    }
    for (const name of ['form-user', 'multipart-user', 'text-user'])
      expect(await userNamed(name)).toBeUndefined();
  });

  /** A 2 MB body that counts how much of it was pulled. */
  function countedBody() {
    const counter = { pulled: 0 };
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (counter.pulled >= 2_000_000) return c.close();
        counter.pulled += 64 * 1024;
        c.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    return { counter, stream };
  }

  it('refuses a 2 MB body with 413 from its Content-Length, reading almost none of it', async () => {
    const { counter, stream } = countedBody();
    const res = await appWith().handle(
      request('/api/v1/nodes/join', {
        method: 'POST',
        headers: { ...json, 'content-length': '2000000' },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe('payload_too_large');
    expect(counter.pulled).toBeLessThan(256 * 1024);
  });

  it('refuses a streamed 2 MB body without Content-Length once past the limit, not reading the rest', async () => {
    const { counter, stream } = countedBody();
    const res = await appWith().handle(
      request('/api/v1/nodes/join', {
        method: 'POST',
        headers: json,
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(res.status).toBe(413);
    expect(counter.pulled).toBeLessThan(1024 * 1024 + 256 * 1024);
  });

  it('refuses 20 KB and 40 KB of `[` to the unauthenticated join with 400 before parsing (it answers)', async () => {
    // Valid JSON this deep took seconds to validate and 40 KB of it ran the control plane out of memory.
    const deep = (n: number) => `{"joinToken":${'['.repeat(n)}${']'.repeat(n)}}`;
    for (const body of [deep(20_000), deep(40_000), `{"joinToken":${'['.repeat(20_000)}`]) {
      const res = await appWith().handle(
        request('/api/v1/nodes/join', { method: 'POST', headers: json, body }),
      );
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({
        code: 'invalid_request',
        message: 'the request body nests deeper than 64 levels',
      });
    }
    // Not an object at all: refused before the depth is counted.
    const bare = await appWith().handle(
      request('/api/v1/nodes/join', { method: 'POST', headers: json, body: '['.repeat(20_000) }),
    );
    expect(await errorOf(bare)).toMatchObject({
      code: 'invalid_request',
      message: 'the request body must be a JSON object',
    });
  });

  it('refuses an array where a route takes an optional object, and provisions no node', async () => {
    const before = (await control.deps.store.nodes.list()).length;
    const res = await appWith().handle(
      request('/api/v1/nodes', { method: 'POST', headers: { ...json, ...asAdmin() }, body: '[]' }),
    );
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain('JSON object');
    expect(provisioned).toEqual([]);
    expect((await control.deps.store.nodes.list()).length).toBe(before);
  });

  // GitHub's signed webhook deliveries through the whole server: control/github-sign-in.test.ts.
  it('hands the route the very body it checked', async () => {
    const res = await appWith().handle(
      request('/api/v1/projects', {
        method: 'POST',
        headers: { ...json, ...asAdmin() },
        body: JSON.stringify({ name: 'bytes-kept' }),
      }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { name: string }).name).toBe('bytes-kept');
  });
});

describe('Rate limits', () => {
  const join = (peer = '198.51.100.7') =>
    request(
      '/api/v1/nodes/join',
      {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          joinToken: 'wrn_join_guess',
          name: 'n',
          address: 'http://127.0.0.1:1',
          capacity: 1,
        }),
      },
      peer,
    );

  it('answers 429 with Retry-After after a burst of join attempts, per client address', async () => {
    const app = appWith({ limits: { nodeJoin: { burst: 3, perMinute: 2 } } });
    for (let i = 0; i < 3; i++) expect((await app.handle(join())).status).not.toBe(429);
    const res = await app.handle(join());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: 'rate_limited', detail: { retryAfterSeconds: 30 } });
    expect((await app.handle(join('203.0.113.50'))).status).not.toBe(429);
  });

  it('answers 429 after a burst of failed authentications, even to a valid token, until the bucket refills', async () => {
    const clock = new FakeClock(Date.now());
    const app = appWith({ limits: { failedAuth: { burst: 3, perMinute: 6 } } }, clock);
    const me = (token: string, peer?: string) =>
      app.handle(request('/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } }, peer));
    for (let i = 0; i < 3; i++) expect((await me('wrn_api_guess')).status).toBe(401);
    // Failures are counted once their response is out: wait until the next request is refused.
    const res = await eventually(
      async () => {
        const r = await me(control.adminToken);
        if (r.status !== 429) throw new Error(`answered ${r.status}`);
        return r;
      },
      'the failures to be counted',
      5_000,
    );
    expect(res.headers.get('retry-after')).toBe('10');
    // Another address, and requests that present no credential, are not held up.
    expect((await me(control.adminToken, '203.0.113.50')).status).toBe(200);
    expect((await app.handle(request('/health'))).status).toBe(200);
    // X-Forwarded-For is not trusted by default: writing another address does not escape.
    const spoofed = request('/api/v1/auth/me', {
      headers: { ...asAdmin(), 'x-forwarded-for': '203.0.113.51' },
    });
    expect((await app.handle(spoofed)).status).toBe(429);
    clock.advance(10_000);
    expect((await me(control.adminToken)).status).toBe(200);
  });

  it('limits sign-in attempts with one-time links', async () => {
    const app = appWith({ limits: { signIn: { burst: 2, perMinute: 1 } } });
    const login = () => app.handle(request('/auth/login?token=wrn_login_guess'));
    expect((await login()).status).toBe(401);
    expect((await login()).status).toBe(401);
    const res = await login();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    // HEAD runs the same handler (it would spend a link): limited alike.
    const head = await app.handle(request('/auth/login?token=wrn_login_guess', { method: 'HEAD' }));
    expect(head.status).toBe(429);
  });

  it('limits token minting per client', async () => {
    const app = appWith({ limits: { tokenMint: { burst: 2, perMinute: 1 } } });
    const mint = () =>
      app.handle(
        request('/api/v1/tokens', {
          method: 'POST',
          headers: { ...json, ...asAdmin() },
          body: JSON.stringify({ name: 'burst' }),
        }),
      );
    expect((await mint()).status).toBe(200);
    expect((await mint()).status).toBe(200);
    expect((await mint()).status).toBe(429);
  });

  it('counts the app link toward token minting: it mints a workspace token too, on GET and HEAD', async () => {
    const app = appWith({ limits: { tokenMint: { burst: 2, perMinute: 1 } } });
    const open = (method = 'GET') =>
      app.handle(request('/api/v1/workspaces/wsnone/app?path=/', { method, headers: asAdmin() }));
    expect((await open()).status).not.toBe(429);
    expect((await open('HEAD')).status).not.toBe(429);
    expect((await open()).status).toBe(429);
    expect((await open('HEAD')).status).toBe(429);
  });

  it('keys clients by the address the trusted proxy saw when WARREN_PROXY_HOPS says there is one', async () => {
    const app = appWith({ limits: { signIn: { burst: 1, perMinute: 1 } }, hardening: { proxyHops: 1 } });
    const via = (client: string) =>
      app.handle(
        request('/auth/login?token=wrn_login_guess', { headers: { 'x-forwarded-for': client } }, '10.0.0.1'),
      );
    expect((await via('203.0.113.1')).status).toBe(401);
    expect((await via('203.0.113.1')).status).toBe(429);
    expect((await via('203.0.113.2')).status).toBe(401);
  });
});

/** `GET path` with a Bearer token over a connection from `localAddress` (another loopback address on Linux). */
function getFrom(localAddress: string, url: string, path: string, token: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      );
    });
    let head = '';
    socket.on('data', (d) => {
      head += d;
    });
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

describe('Rate limits on the running server', () => {
  it('key each client by its socket address', async () => {
    const local = localHardeningConfig();
    const tight = await startTestControl({
      config: {
        hardening: { ...local, rateLimits: { ...local.rateLimits, failedAuth: { burst: 2, perMinute: 1 } } },
      },
    });
    try {
      const me = (token?: string) => tight.clientWith(token).GET('/api/v1/auth/me');
      expect((await me('wrn_api_guess')).response.status).toBe(401);
      expect((await me('wrn_api_guess')).response.status).toBe(401);
      await eventually(async () => (await me(tight.adminToken)).response.status === 429, 'a 429', 5_000);
      // Another client (another loopback address) still gets in with its token.
      expect(await getFrom('127.0.0.2', tight.url, '/api/v1/auth/me', tight.adminToken)).toBe(200);
    } finally {
      await tight.stop();
    }
  });
});
