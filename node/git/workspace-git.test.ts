// The node's git credential service end to end over loopback, with a stand-in git-token endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { WorkspaceStatus } from '../../contract/index.ts';
import { startWorkspaceGit, type WorkspaceGit } from './workspace-git.ts';

const W1 = 'ws00000000000000000011';
const W2 = 'ws00000000000000000012';

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
]);
let git: WorkspaceGit;

beforeAll(() => {
  git = startWorkspaceGit({
    controlUrl: `http://127.0.0.1:${control.port}`,
    certificate: () => certificate,
    workspaces: { get: (id) => registry.get(id) },
  });
});
afterAll(async () => {
  await git.stop();
  await control.stop(true);
});

function ask(env: Record<string, string>) {
  return fetch(env.WARREN_GIT_CREDENTIAL_URL!, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.WARREN_GIT_SECRET}`, 'content-type': 'text/plain' },
    body: 'protocol=https\nhost=github.com\n\n',
  });
}

describe('WorkspaceGit', () => {
  it('serves every workspace of the node with its own secret, asking with the current node certificate', async () => {
    const e1 = git.environment(W1, '/usr/bin:/bin');
    const e2 = git.environment(W2, '/usr/bin:/bin');
    expect(e1.WARREN_GIT_CREDENTIAL_URL).toBe(git.url);
    expect(git.url).toStartWith('http://127.0.0.1:');
    expect(e1.PATH).toEndWith(':/usr/bin:/bin');
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

  it('keeps serving a cached token while the control plane is down', async () => {
    const e1 = git.environment(W1, '/bin');
    controlUp = false;
    const r = await ask(e1);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain(`password=ghs_${W1}_1`);
    controlUp = true;
  });

  it('gives every process of one run the same secret', () => {
    expect(git.environment(W1, '/bin').WARREN_GIT_SECRET).toBe(git.environment(W1, '/x').WARREN_GIT_SECRET);
  });

  it('refuses a workspace once it ended, and a restarted one gets a fresh token through its new secret', async () => {
    const old = git.environment(W2, '/bin');
    git.ended(W2);
    expect(git.environment(W2, '/bin').WARREN_GIT_SECRET).not.toBe(old.WARREN_GIT_SECRET);
    expect((await ask(old)).status).toBe(401);
    calls = [];
    const fresh = git.environment(W2, '/bin');
    const r = await ask(fresh);
    expect(r.status).toBe(200);
    expect(calls.map((c) => c.workspaceId)).toEqual([W2]);
  });
});
