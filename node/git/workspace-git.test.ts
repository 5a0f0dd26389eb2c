// The node's git credential service end to end over per-workspace unix sockets, with a stand-in git-token endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_PROOF_HEADER, type WorkspaceStatus } from '../../contract/index.ts';
import { createTestProver } from '../testing/index.ts';
import { askCredential, socketConnects } from './testing/index.ts';
import { startWorkspaceGit, type WorkspaceGit, type WorkspaceRunDir } from './workspace-git.ts';

const W1 = 'ws00000000000000000011';
const W2 = 'ws00000000000000000012';
const W3 = 'ws00000000000000000013';

/** Answers POST /api/v1/workspaces/{id}/git-token for a certificate it knows; counts calls. */
let calls: { workspaceId: string; authorization: string | null }[] = [];
let controlUp = true;
let certificate = 'cert-1';
const control = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(req) {
    const m = /^\/api\/v1\/workspaces\/([a-z0-9]+)\/git-token$/.exec(new URL(req.url).pathname);
    if (!controlUp || !m || req.method !== 'POST') return new Response('down', { status: 503 });
    calls.push({ workspaceId: m[1]!, authorization: req.headers.get('authorization') });
    if (!req.headers.get(NODE_PROOF_HEADER)) return new Response('no proof', { status: 401 });
    return Response.json({
      token: `ghs_${m[1]}_${calls.length}`,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      repositoryIds: [1001],
    });
  },
});
const registry = new Map<string, { status: WorkspaceStatus }>([
  [W1, { status: 'running' }],
  [W2, { status: 'running' }],
  [W3, { status: 'running' }],
]);
let git: WorkspaceGit;
let root: string;
const { prove } = await createTestProver();

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'warren-workspace-git-'));
  git = startWorkspaceGit({
    controlUrl: `http://127.0.0.1:${control.port}`,
    certificate: () => certificate,
    prove,
    workspaces: { get: (id) => registry.get(id) },
  });
});
afterAll(async () => {
  await git.stop();
  await control.stop(true);
  rmSync(root, { recursive: true, force: true });
});

/** The workspace's run folder as the node prepares it: 0700, the same path inside and out (process runtime). */
function runDir(workspaceId: string): WorkspaceRunDir {
  const dir = join(root, 'run', workspaceId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { runDir: dir, runInside: dir };
}

/** What git-credential-warren asks on the socket named by the environment. */
const ask = (env: Record<string, string>) => askCredential(env.WARREN_GIT_SOCKET!);

describe('WorkspaceGit', () => {
  it('serves every workspace of the node on its own socket, asking with the current node certificate', async () => {
    const e1 = git.environment(W1, '/usr/bin:/bin', runDir(W1));
    const e2 = git.environment(W2, '/usr/bin:/bin', runDir(W2));
    expect(e1.WARREN_GIT_SOCKET).toBe(join(root, 'run', W1, 'git.sock'));
    expect(git.socket(W1)).toBe(e1.WARREN_GIT_SOCKET!);
    expect(e1.PATH).toEndWith(':/usr/bin:/bin');
    expect(e1.GIT_TERMINAL_PROMPT).toBe('0');
    const a1 = await (await ask(e1)).text();
    certificate = 'cert-2';
    const a2 = await (await ask(e2)).text();
    expect(a1).toContain(`password=ghs_${W1}_`);
    expect(a2).toContain(`password=ghs_${W2}_`);
    expect(calls).toEqual([
      { workspaceId: W1, authorization: 'Bearer cert-1' },
      { workspaceId: W2, authorization: 'Bearer cert-2' },
    ]);
  });

  it('puts no secret in the environment: nothing in it is worth reading from another workspace', async () => {
    const env = git.environment(W1, '/bin', runDir(W1));
    expect(Object.keys(env).toSorted()).toEqual([
      'GIT_CONFIG_COUNT',
      'GIT_CONFIG_KEY_0',
      'GIT_CONFIG_KEY_1',
      'GIT_CONFIG_VALUE_0',
      'GIT_CONFIG_VALUE_1',
      'GIT_TERMINAL_PROMPT',
      'PATH',
      'WARREN_GIT_SOCKET',
    ]);
    const token = /password=(\S+)/.exec(await (await ask(env)).text())![1]!;
    expect(JSON.stringify(env)).not.toContain(token);
  });

  it("names the socket by the path the workspace's processes see, and binds it in the host folder", async () => {
    const host = join(root, 'host-run', W3);
    mkdirSync(host, { recursive: true, mode: 0o700 });
    const env = git.environment(W3, '/bin', { runDir: host, runInside: '/run/warren' });
    expect(env.WARREN_GIT_SOCKET).toBe('/run/warren/git.sock');
    expect(git.socket(W3)).toBe(join(host, 'git.sock'));
    const r = await askCredential(join(host, 'git.sock'));
    expect(await r.text()).toContain(`password=ghs_${W3}_`);
    // The sandboxed uid must be able to connect; its 0700 folder keeps everyone else out.
    expect(statSync(join(host, 'git.sock')).mode & 0o777).toBe(0o666);
    expect(statSync(host).mode & 0o777).toBe(0o700);
    git.ended(W3);
  });

  it('refuses a relative run folder (the helper runs from the workspace folder)', () => {
    expect(() => git.environment(W3, '/bin', { runDir: 'run/x', runInside: 'run/x' })).toThrow(/absolute/);
    expect(git.socket(W3)).toBeUndefined();
  });

  it('never chmods through a link planted where the socket goes', () => {
    const where = runDir(W3);
    const target = join(root, 'node-private-key');
    writeFileSync(target, 'private', { mode: 0o600 });
    symlinkSync(target, join(where.runDir, 'git.sock'));
    git.environment(W3, '/bin', where);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readFileSync(target, 'utf8')).toBe('private');
    expect(lstatSync(join(where.runDir, 'git.sock')).isSocket()).toBe(true);
    git.ended(W3);
  });

  it('keeps serving a cached token while the control plane is down', async () => {
    const e1 = git.environment(W1, '/bin', runDir(W1));
    controlUp = false;
    const r = await ask(e1);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain(`password=ghs_${W1}_1`);
    controlUp = true;
  });

  it('gives every process of one run the same socket, started once', () => {
    const first = git.environment(W1, '/bin', runDir(W1));
    const inode = statSync(git.socket(W1)!).ino;
    const again = git.environment(W1, '/x', runDir(W1));
    expect(again.WARREN_GIT_SOCKET).toBe(first.WARREN_GIT_SOCKET!);
    expect(statSync(git.socket(W1)!).ino).toBe(inode);
  });

  it('removes the socket of a workspace once it ended, and a restarted one gets a fresh socket and token', async () => {
    const old = git.environment(W2, '/bin', runDir(W2));
    const inode = statSync(old.WARREN_GIT_SOCKET!).ino;
    git.ended(W2);
    expect(existsSync(old.WARREN_GIT_SOCKET!)).toBe(false);
    expect(await socketConnects(old.WARREN_GIT_SOCKET!)).toBe(false);
    expect(git.socket(W2)).toBeUndefined();
    calls = [];
    const fresh = git.environment(W2, '/bin', runDir(W2));
    expect(statSync(fresh.WARREN_GIT_SOCKET!).ino).not.toBe(inode);
    const r = await ask(fresh);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain(`password=ghs_${W2}_1`);
    expect(calls.map((c) => c.workspaceId)).toEqual([W2]);
  });

  it('stops every socket on stop', async () => {
    const other = startWorkspaceGit({
      controlUrl: `http://127.0.0.1:${control.port}`,
      certificate: () => certificate,
      prove,
      workspaces: { get: (id) => registry.get(id) },
    });
    const dir = join(root, 'stop');
    const paths = [W1, W2].map((id) => {
      mkdirSync(join(dir, id), { recursive: true, mode: 0o700 });
      const where = { runDir: join(dir, id), runInside: join(dir, id) };
      return other.environment(id, '/bin', where).WARREN_GIT_SOCKET!;
    });
    for (const p of paths) expect(await socketConnects(p)).toBe(true);
    await other.stop();
    for (const p of paths) {
      expect(existsSync(p)).toBe(false);
      expect(await socketConnects(p)).toBe(false);
    }
  });
});
