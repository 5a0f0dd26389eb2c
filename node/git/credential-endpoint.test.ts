// Tests of the git credential endpoint over a real loopback socket: who gets a token, and who does not.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import type { WorkspaceStatus } from '../../contract/index.ts';
import { createGitCredentialHandler, type GitCredentialContext } from './credential-endpoint.ts';
import { GitTokenCache, type GitTokenGrant } from './token-cache.ts';
import { WorkspaceSecrets } from './workspace-secrets.ts';

const W1 = 'ws00000000000000000001';
const W2 = 'ws00000000000000000002';
const W3 = 'ws00000000000000000003';
const GITHUB = 'protocol=https\nhost=github.com\n\n';

/** Token source standing in for the control plane; counts mints per workspace and can go down. */
class ControlPlaneStandIn {
  down = false;
  readonly mints: string[] = [];
  async fetch(workspaceId: string): Promise<GitTokenGrant> {
    if (this.down) throw new Error('connection refused');
    this.mints.push(workspaceId);
    return { token: `ghs_${workspaceId}_${this.mints.length}`, expiresAt: new Date(now + 3_600_000) };
  }
}

let now = Date.parse('2030-01-01T00:00:00Z');
let source: ControlPlaneStandIn;
let secrets: WorkspaceSecrets;
let registry: Map<string, { status: WorkspaceStatus }>;
let handler: (req: Request, ctx: GitCredentialContext) => Promise<Response>;
let server: ReturnType<typeof Bun.serve>;
let url: string;

beforeAll(() => {
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (req, srv) =>
      handler(req, { remoteAddress: srv.requestIP(req)?.address ?? '', port: srv.port ?? 0 }),
  });
  url = `http://127.0.0.1:${server.port}/_node/git-credential`;
});
afterAll(() => server.stop(true));

function setup() {
  source = new ControlPlaneStandIn();
  secrets = new WorkspaceSecrets();
  registry = new Map([
    [W1, { status: 'running' as WorkspaceStatus }],
    [W2, { status: 'running' as WorkspaceStatus }],
  ]);
  const tokens = new GitTokenCache({ source, now: () => now });
  handler = createGitCredentialHandler({
    secrets,
    workspaces: { get: (id) => registry.get(id) },
    tokens,
  });
  return { s1: secrets.issue(W1), s2: secrets.issue(W2) };
}
afterEach(() => {
  now += 86_400_000;
});

function ask(secret: string, body = GITHUB, headers: Record<string, string> = {}, op = 'get') {
  return fetch(`${url}?op=${op}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'text/plain', ...headers },
    body,
  });
}

function fields(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('git credential endpoint', () => {
  it('answers every running workspace on the node, not only the first', async () => {
    const { s1, s2 } = setup();
    const r1 = await ask(s1);
    const r2 = await ask(s2);
    expect(r1.status).toBe(200);
    expect(r2.status).toBe(200);
    const f1 = fields(await r1.text());
    const f2 = fields(await r2.text());
    expect(f1).toMatchObject({
      protocol: 'https',
      host: 'github.com',
      username: 'x-access-token',
      password: `ghs_${W1}_1`,
    });
    expect(f2.password).toBe(`ghs_${W2}_2`);
    expect(Number(f2.password_expiry_utc)).toBe(Math.floor((now + 3_600_000) / 1000));
    expect(r1.headers.get('cache-control')).toBe('no-store');
  });

  it("never gives W1's secret W2's token, and refuses a forged or missing secret", async () => {
    const { s1 } = setup();
    const f1 = fields(await (await ask(s1)).text());
    expect(f1.password).toStartWith(`ghs_${W1}_`);
    const forged = `${W2}.${s1.split('.')[1]}`;
    for (const bad of [forged, 'nope', '']) {
      const r = await ask(bad);
      expect(r.status).toBe(401);
      expect(await r.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect(source.mints).toEqual([W1]);
  });

  it('refuses a non-loopback peer before anything else', async () => {
    const { s1 } = setup();
    const req = new Request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${s1}`, host: '127.0.0.1:1' },
      body: GITHUB,
    });
    for (const remoteAddress of ['192.0.2.10', '::ffff:192.0.2.10', '2001:db8::1', '']) {
      const r = await handler(req.clone(), { remoteAddress, port: 1 });
      expect(r.status).toBe(403);
    }
    const ok = await handler(req.clone(), { remoteAddress: '::ffff:127.0.0.1', port: 1 });
    expect(ok.status).toBe(200);
    expect(source.mints).toEqual([W1]);
  });

  it('refuses requests carrying Origin or Referer, or a foreign Host', async () => {
    const { s1 } = setup();
    const cases: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { referer: 'http://evil.example/page' },
      { host: `evil.example:${server.port}` },
      { host: `127.0.0.1:${(server.port ?? 0) + 1}` },
    ];
    for (const headers of cases) {
      const r = await ask(s1, GITHUB, headers);
      expect(r.status).toBe(403);
    }
    expect((await ask(s1, GITHUB, { host: `localhost:${server.port}` })).status).toBe(200);
    expect(source.mints).toEqual([W1]);
  });

  it('answers 404 and mints nothing for an unknown or stopped workspace', async () => {
    const { s2 } = setup();
    const s3 = secrets.issue(W3); // a secret exists, but the runtime registry has no such workspace
    expect((await ask(s3)).status).toBe(404);
    registry.set(W2, { status: 'stopped' });
    const r = await ask(s2);
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(source.mints).toEqual([]);
  });

  it('rejects malformed credential input and hosts other than GitHub, minting nothing', async () => {
    const { s1 } = setup();
    for (const body of [
      'protocol=https\nhost=github.com\nhost=evil.example\n\n',
      'protocol=https\nhost=github.com\0\n\n',
      'protocol=https\r\nhost=github.com\r\n\r\n',
      'protocol=https\nhost=\n\n',
      'protocol=https\nhost=evil.example\n\n',
      'protocol=http\nhost=github.com\n\n',
      'protocol=https\nhost=github.com.evil.example\n\n',
      'x'.repeat(9000),
    ]) {
      const r = await ask(s1, body);
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect(source.mints).toEqual([]);
  });

  it('keeps serving the cached token while the control plane is down, then says 503 with Retry-After', async () => {
    const { s1 } = setup();
    const first = fields(await (await ask(s1)).text()).password;
    source.down = true;
    now += 55 * 60_000; // past the refresh point, before expiry
    const during = await ask(s1);
    expect(during.status).toBe(200);
    expect(fields(await during.text()).password).toBe(first!);
    now += 4 * 60_000; // a minute left: too little to hand out
    const after = await ask(s1);
    expect(after.status).toBe(503);
    expect(Number(after.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('drops a token git reports as rejected (erase) so the next get mints a new one', async () => {
    const { s1 } = setup();
    const first = fields(await (await ask(s1)).text()).password!;
    const erase = await ask(
      s1,
      `protocol=https\nhost=github.com\nusername=x-access-token\npassword=${first}\n\n`,
      {},
      'erase',
    );
    expect(erase.status).toBe(204);
    const second = fields(await (await ask(s1)).text()).password;
    expect(second).not.toBe(first);
    expect(source.mints).toEqual([W1, W1]);
  });

  it('accepts POST only', async () => {
    setup();
    const r = await fetch(url, { method: 'GET' });
    expect(r.status).toBe(405);
  });
});
