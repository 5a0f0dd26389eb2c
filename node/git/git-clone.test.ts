// Real git, real sockets: a clone through git-credential-warren and the workspace's unix socket, from a git
// http-backend that demands the token.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkspaceStatus } from '../../contract/index.ts';
import { createGitCredentialHandler } from './credential-endpoint.ts';
import { type CredentialSocket, serveCredentialSocket } from './credential-socket.ts';
import { createBareRepo, type GitHttpServer, isolatedGitEnv, startGitHttpServer } from './testing/index.ts';
import { GitTokenCache, type GitTokenGrant } from './token-cache.ts';
import { CREDENTIAL_HELPER_PATH, cloneCommand, workspaceGitEnvironment } from './workspace-git-env.ts';

const W1 = 'ws00000000000000000001';
const W2 = 'ws00000000000000000002';
const W3 = 'ws00000000000000000003';

/** Stands in for the control plane's git-token endpoint; the git server accepts only its latest token. */
class TokenMint {
  down = false;
  attempts = 0;
  minted: string[] = [];
  async fetch(workspaceId: string): Promise<GitTokenGrant> {
    this.attempts += 1;
    if (this.down) throw new Error('control plane unreachable');
    const token = `ghs_${workspaceId}_${crypto.randomUUID().replaceAll('-', '')}`;
    this.minted.push(token);
    return { token, expiresAt: new Date(Date.now() + 3_600_000) };
  }
  isCurrent(password: string): boolean {
    return password.length > 0 && password === this.minted.at(-1);
  }
}

let root: string;
let gitServer: GitHttpServer;
/** The node's socket for each workspace, as WorkspaceGit serves them. */
const sockets = new Map<string, CredentialSocket>();
let mint: TokenMint;
/** How far the token cache's clock runs ahead of real time, to reach a token's refresh point. */
let skewMs = 0;
const registry = new Map<string, { status: WorkspaceStatus }>([
  [W1, { status: 'running' }],
  [W2, { status: 'stopped' }],
  [W3, { status: 'running' }],
]);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'warren-git-'));
  const served = join(root, 'served');
  const work = join(root, 'src');
  mkdirSync(served);
  const lib = createBareRepo(served, 'lib', { 'LIB.md': 'the library\n' }, work);
  createBareRepo(served, 'app', { 'README.md': 'the app\n' }, work, [
    // As on GitHub: the submodule points at github.com; the clone's inline insteadOf sends it here.
    { path: 'lib', url: 'https://github.com/acme/lib.git', commit: lib.commit },
  ]);
  mint = new TokenMint();
  gitServer = startGitHttpServer({ projectRoot: served, accepts: (p) => mint.isCurrent(p) });
  const handler = createGitCredentialHandler({
    workspaces: { get: (id) => registry.get(id) },
    tokens: new GitTokenCache({ source: mint, now: () => Date.now() + skewMs }),
    config: { allowedOrigins: [gitServer.url, 'https://github.com'], maxBodyBytes: 8192 },
  });
  for (const id of [W1, W2, W3]) {
    const dir = join(root, 'run', id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    sockets.set(
      id,
      serveCredentialSocket(join(dir, 'git.sock'), (req) => handler(req, { workspaceId: id })),
    );
  }
});

afterAll(async () => {
  for (const s of sockets.values()) await s.stop();
  await gitServer.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The environment of a process of workspace `id`: its socket, no secret. */
function workspaceEnv(id: string, path = process.env.PATH ?? '/usr/bin:/bin'): Record<string, string> {
  return { ...isolatedGitEnv(), ...workspaceGitEnvironment({ socket: sockets.get(id)!.path, path }) };
}

async function run(argv: string[], env: Record<string, string>, cwd: string) {
  // Async spawn: the node endpoint and the git server live in this process and must keep answering.
  const proc = Bun.spawn(argv, { env, cwd, stdout: 'pipe', stderr: 'pipe' });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('git through the credential helper', () => {
  it('clones a repository and its submodule with the minted token, which stays out of .git', async () => {
    const dest = join(root, 'clone-1');
    const argv = cloneCommand({
      url: `${gitServer.url}/app.git`,
      dir: dest,
      insteadOf: { [`${gitServer.url}/`]: ['https://github.com/acme/'] },
    });
    const r = await run(argv, workspaceEnv(W1), root);
    expect(r.stderr).not.toContain('fatal');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dest, 'README.md'), 'utf8')).toBe('the app\n');
    expect(readFileSync(join(dest, 'lib', 'LIB.md'), 'utf8')).toBe('the library\n');

    const token = mint.minted.at(-1)!;
    expect(mint.minted).toHaveLength(1); // one token served both repositories, from the cache
    expect(gitServer.passwords).toContain(token);
    expect(readFileSync(join(dest, '.git', 'config'), 'utf8')).not.toContain(token);
    const leaks = filesUnder(join(dest, '.git')).filter((f) => readFileSync(f).includes(token));
    expect(leaks).toEqual([]);
    expect(readFileSync(join(dest, '.git', 'config'), 'utf8')).not.toContain('insteadOf');
  });

  it('keeps fetching with the cached token while the control plane is down', async () => {
    const dest = join(root, 'clone-2');
    const env = workspaceEnv(W1);
    expect((await run(['git', 'clone', '-q', `${gitServer.url}/lib.git`, dest], env, root)).code).toBe(0);
    const token = mint.minted.at(-1);
    mint.down = true;
    skewMs = 55 * 60_000; // past the refresh point, before expiry: the cache asks, fails, serves what it has
    const attempts = mint.attempts;
    try {
      const r = await run(['git', 'fetch', 'origin'], env, dest);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(mint.attempts).toBeGreaterThan(attempts);
      expect(gitServer.passwords.at(-1)).toBe(token!);
    } finally {
      mint.down = false;
      skewMs = 0;
    }
  });

  it("fails on a stopped workspace's socket: no token is minted and git gets none", async () => {
    const before = mint.minted.length;
    const r = await run(
      ['git', 'clone', '-q', `${gitServer.url}/lib.git`, join(root, 'clone-3')],
      workspaceEnv(W2),
      root,
    );
    expect(r.code).not.toBe(0);
    expect(mint.minted.length).toBe(before);
    expect(existsSync(join(root, 'clone-3', 'LIB.md'))).toBe(false);
  });

  it('gives gh a fresh token for its own process, with no GH_TOKEN in the workspace environment', async () => {
    const fakeBin = join(root, 'fake-gh-bin');
    mkdirSync(fakeBin);
    writeFileSync(join(fakeBin, 'gh'), '#!/bin/sh\necho "token=$GH_TOKEN args=$*"\n');
    chmodSync(join(fakeBin, 'gh'), 0o755);
    const env = workspaceEnv(W1, `${fakeBin}:${process.env.PATH}`);
    expect(env.GH_TOKEN).toBeUndefined();
    const r = await run(['gh', 'api', 'user'], env, root);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`token=${mint.minted.at(-1)} args=api user`);
  });

  it('serves a second running workspace on the same node with its own token', async () => {
    const dest = join(root, 'clone-4');
    const r = await run(['git', 'clone', '-q', `${gitServer.url}/lib.git`, dest], workspaceEnv(W3), root);
    expect(r.code).toBe(0);
    expect(mint.minted.at(-1)).toStartWith(`ghs_${W3}_`);
    expect(gitServer.passwords.at(-1)).toBe(mint.minted.at(-1)!);
  });

  it('prints nothing git could read as credentials when the node refuses, and fails', async () => {
    // W2 is stopped: its socket answers 404 with the error shape, which must not reach git's stdin.
    const helper = (env: Record<string, string>) =>
      run(
        ['sh', '-c', `printf 'protocol=https\nhost=github.com\n\n' | ${CREDENTIAL_HELPER_PATH} get`],
        env,
        root,
      );
    const refused = await helper(workspaceEnv(W2));
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('no git credentials from the node');
    const gone = await helper({ ...workspaceEnv(W1), WARREN_GIT_SOCKET: join(root, 'run', 'nowhere.sock') });
    expect(gone.code).not.toBe(0);
    expect(gone.stdout).toBe('');
    const { WARREN_GIT_SOCKET: _, ...unset } = workspaceEnv(W1);
    const missing = await helper(unset);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('WARREN_GIT_SOCKET must be set');
    const ok = await helper(workspaceEnv(W1));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`password=ghs_${W1}_`);
  });
});
