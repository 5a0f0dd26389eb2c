// Tests of the git credential endpoint over real per-workspace unix sockets: who gets a token, and who does not.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkspaceStatus } from '../../contract/index.ts';
import { createGitCredentialHandler, type GitCredentialContext } from './credential-endpoint.ts';
import { type CredentialSocket, serveCredentialSocket } from './credential-socket.ts';
import { askCredential, GITHUB_CREDENTIAL_INPUT as GITHUB } from './testing/index.ts';
import { GitTokenCache, type GitTokenGrant } from './token-cache.ts';

const W1 = 'ws00000000000000000001';
const W2 = 'ws00000000000000000002';
const W3 = 'ws00000000000000000003';

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
let registry: Map<string, { status: WorkspaceStatus }>;
let handler: (req: Request, ctx: GitCredentialContext) => Promise<Response>;
let root: string;
/** One socket per workspace, as the node serves them; W3's is served but W3 is not in the registry. */
const sockets = new Map<string, CredentialSocket>();

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'warren-git-endpoint-'));
  for (const id of [W1, W2, W3]) {
    mkdirSync(join(root, 'run', id), { recursive: true, mode: 0o700 });
    sockets.set(
      id,
      serveCredentialSocket(join(root, 'run', id, 'git.sock'), (req) => handler(req, { workspaceId: id })),
    );
  }
});
afterAll(async () => {
  for (const s of sockets.values()) await s.stop();
  rmSync(root, { recursive: true, force: true });
});

function setup() {
  source = new ControlPlaneStandIn();
  registry = new Map([
    [W1, { status: 'running' as WorkspaceStatus }],
    [W2, { status: 'running' as WorkspaceStatus }],
  ]);
  const tokens = new GitTokenCache({ source, now: () => now });
  handler = createGitCredentialHandler({ workspaces: { get: (id) => registry.get(id) }, tokens });
}
afterEach(() => {
  now += 86_400_000;
});

/** A request on `workspaceId`'s socket, as git-credential-warren sends it. */
function ask(workspaceId: string, body = GITHUB, headers: Record<string, string> = {}, op = 'get') {
  return askCredential(sockets.get(workspaceId)!.path, { body, headers, op });
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
  it('answers every running workspace on the node, each on its own socket', async () => {
    setup();
    const r1 = await ask(W1);
    const r2 = await ask(W2);
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

  it("never yields W1's token on W2's socket, whatever the request claims", async () => {
    setup();
    const f1 = fields(await (await ask(W1)).text());
    expect(f1.password).toStartWith(`ghs_${W1}_`);
    // Nothing in the request names a workspace: an old-style secret, a header, a query all count for nothing.
    const claims: Record<string, string>[] = [
      { authorization: `Bearer ${W1}.${'A'.repeat(43)}` },
      { 'x-warren-workspace': W1 },
      { cookie: `workspace=${W1}` },
    ];
    for (const headers of claims) {
      const f2 = fields(await (await ask(W2, GITHUB, headers)).text());
      expect(f2.password).toStartWith(`ghs_${W2}_`);
    }
    const viaQuery = await fetch(`http://warren/_node/git-credential?op=get&workspace=${W1}`, {
      unix: sockets.get(W2)!.path,
      method: 'POST',
      body: GITHUB,
    });
    expect(fields(await viaQuery.text()).password).toStartWith(`ghs_${W2}_`);
    expect(source.mints).toEqual([W1, W2]);
  });

  it('refuses requests carrying Origin or Referer', async () => {
    setup();
    const browsers: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { referer: 'http://evil.example/page' },
    ];
    for (const headers of browsers) {
      const r = await ask(W1, GITHUB, headers);
      expect(r.status).toBe(403);
      expect(await r.json()).toMatchObject({ error: { code: 'forbidden' } });
    }
    expect(source.mints).toEqual([]);
  });

  it('answers 404 and mints nothing for an unknown or stopped workspace', async () => {
    setup();
    // W3's socket is served, but the runtime registry has no such workspace.
    expect((await ask(W3)).status).toBe(404);
    registry.set(W2, { status: 'stopped' });
    const r = await ask(W2);
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(source.mints).toEqual([]);
  });

  it('rejects malformed credential input and hosts other than GitHub, minting nothing', async () => {
    setup();
    for (const body of [
      'protocol=https\nhost=github.com\nhost=evil.example\n\n',
      'protocol=https\nhost=github.com\0\n\n',
      'protocol=https\r\nhost=github.com\r\n\r\n',
      'protocol=https\nhost=\n\n',
      'protocol=https\nhost=evil.example\n\n',
      'protocol=http\nhost=github.com\n\n',
      'protocol=https\nhost=github.com.evil.example\n\n',
      'x'.repeat(9000),
      // Well formed but past the 8 KiB limit: refused for its size alone.
      `protocol=https\nhost=github.com\npath=${'a'.repeat(9000)}\n\n`,
    ]) {
      const r = await ask(W1, body);
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    const op = await ask(W1, GITHUB, {}, 'store');
    expect(op.status).toBe(400);
    expect(await op.json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect(source.mints).toEqual([]);
  });

  it('keeps serving the cached token while the control plane is down, then says 503 with Retry-After', async () => {
    setup();
    const first = fields(await (await ask(W1)).text()).password;
    source.down = true;
    now += 55 * 60_000; // past the refresh point, before expiry
    const during = await ask(W1);
    expect(during.status).toBe(200);
    expect(fields(await during.text()).password).toBe(first!);
    now += 4 * 60_000; // a minute left: too little to hand out
    const after = await ask(W1);
    expect(after.status).toBe(503);
    expect(await after.json()).toMatchObject({ error: { code: 'unavailable' } });
    expect(Number(after.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('drops a token git reports as rejected (erase) so the next get mints a new one', async () => {
    setup();
    const first = fields(await (await ask(W1)).text()).password!;
    const erase = await ask(
      W1,
      `protocol=https\nhost=github.com\nusername=x-access-token\npassword=${first}\n\n`,
      {},
      'erase',
    );
    expect(erase.status).toBe(204);
    const second = fields(await (await ask(W1)).text()).password;
    expect(second).not.toBe(first);
    expect(source.mints).toEqual([W1, W1]);
  });

  it('accepts POST only, and serves nothing but the credential path', async () => {
    setup();
    const unix = sockets.get(W1)!.path;
    const get = await fetch('http://warren/_node/git-credential', { unix });
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ error: { code: 'method_not_allowed', message: 'use POST' } });
    const other = await fetch('http://warren/_node/members', { unix, method: 'POST', body: GITHUB });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(source.mints).toEqual([]);
  });
});
