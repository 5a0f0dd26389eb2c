// `warren up` as a person runs it: control plane + 2 node processes, a workspace end to end, Ctrl-C, and a second run
// that keeps every piece of state.
import { afterAll, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ECHO_APP, eventually, tempDataDir } from '../node/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';

const ROOT = resolve(import.meta.dir, '..');
const dataDir = tempDataDir();
let proc: ReturnType<typeof Bun.spawn> | undefined;

interface UpFile {
  controlUrl: string;
  adminToken: string;
  nodes: { id: string; url: string }[];
}

/** Starts `warren up`, waits for a fresh up.json, and returns it with everything `up` printed so far. */
async function startUp(): Promise<{ up: UpFile; out: () => string }> {
  rmSync(join(dataDir, 'up.json'), { force: true });
  const p = Bun.spawn(
    [process.execPath, join(ROOT, 'cli/main.ts'), 'up', '--port', '0', '--data', dataDir, '--nodes', '2'],
    { stdout: 'pipe', stderr: 'pipe' },
  );
  proc = p;
  let out = '';
  void (async () => {
    for await (const chunk of p.stdout) out += new TextDecoder().decode(chunk);
  })();
  const up = await eventually(() => {
    if (p.exitCode !== null) throw new Error(`warren up exited with ${p.exitCode}`);
    const f = join(dataDir, 'up.json');
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as UpFile) : undefined;
  }, 'warren up to write up.json');
  return { up, out: () => out };
}

/** Ctrl-C: every process `up` started must be gone. */
async function stopUp(): Promise<number> {
  const p = proc!;
  p.kill('SIGINT');
  const code = await p.exited;
  proc = undefined;
  return code;
}

function pidsWithArg(arg: string): number[] {
  const r = Bun.spawnSync(['pgrep', '-f', arg]);
  return new TextDecoder()
    .decode(r.stdout)
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

afterAll(async () => {
  if (proc) {
    proc.kill('SIGKILL');
    await proc.exited;
  }
  for (const pid of pidsWithArg(dataDir)) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('warren up', () => {
  let first: UpFile;
  let workspaceId = '';

  it('starts the control plane and two nodes, prints the URL and a login link, and writes up.json', async () => {
    const { up, out } = await startUp();
    first = up;
    expect(up.nodes).toHaveLength(2);
    expect(up.adminToken).toStartWith('wrn_api_');
    await eventually(() => out().includes('Sign in (one-time link)'), 'the login link to be printed');
    expect(out()).toContain(`Warren is up: UI and API at ${up.controlUrl}`);
    const health = await fetch(`${up.controlUrl}/health`);
    expect(health.status).toBe(200);
    const client = createControlClient(up.controlUrl, { token: up.adminToken });
    await eventually(async () => {
      const nodes = (await client.GET('/api/v1/nodes')).data?.items ?? [];
      return nodes.length === 2 && nodes.every((n) => n.status === 'online');
    }, 'both nodes online');
    // Local nodes get human names, printed beside their ids.
    const names = ((await client.GET('/api/v1/nodes')).data?.items ?? []).map((n) => n.name).sort();
    expect(names).toEqual(['local-1', 'local-2']);
    expect(out()).toMatch(/ {2}local-1 {2}nd/);
  });

  it("shows a node's mesh through `warren mesh status --data` with that node's admin credential", async () => {
    const status = (...args: string[]) =>
      Bun.spawnSync([process.execPath, join(ROOT, 'cli/main.ts'), 'mesh', 'status', ...args]);
    const second = first.nodes[1]!;
    const ok = status('--data', dataDir, '--node', second.url, '--json');
    expect(ok.exitCode).toBe(0);
    expect((JSON.parse(ok.stdout.toString()) as { id: string }).id).toBe(second.id);
    // Without proof it says in one line what to pass.
    const none = status('--node', second.url);
    expect(none.exitCode).toBe(2);
    expect(none.stderr.toString().trim().split('\n')).toHaveLength(1);
  });

  it('runs a workspace placed by the control plane and serves it through its node', async () => {
    const client = createControlClient(first.controlUrl, { token: first.adminToken });
    const project = await client.POST('/api/v1/projects', { body: { name: 'up-test' } });
    const ws = await client.POST('/api/v1/workspaces', {
      body: { name: 'app', projectId: project.data!.id, appCommand: `exec ${process.execPath} ${ECHO_APP}` },
    });
    expect(ws.response.status).toBeLessThan(300);
    workspaceId = ws.data!.id;
    await eventually(
      async () =>
        (await client.GET('/api/v1/workspaces/{id}', { params: { path: { id: workspaceId } } })).data
          ?.status === 'running',
      'the workspace running',
    );
    const t = await client.POST('/api/v1/workspaces/{id}/tokens', {
      params: { path: { id: workspaceId } },
      body: { scopes: ['http'] },
    });
    expect(first.nodes.map((n) => n.url)).toContain(t.data!.nodeUrl!);
    const res = await fetch(`${t.data!.nodeUrl}/w/${workspaceId}/ping`, {
      headers: { authorization: `Bearer ${t.data!.token}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { path: string }).path).toBe('/ping');
  });

  it('stops everything on Ctrl-C, leaving no node or workspace process behind', async () => {
    expect(pidsWithArg(dataDir).length).toBeGreaterThan(0);
    expect(await stopUp()).toBe(0);
    await eventually(() => pidsWithArg(dataDir).length === 0, 'every process of this data dir gone');
    await eventually(() => pidsWithArg(ECHO_APP).length === 0, 'the workspace app gone');
  });

  it('keeps nodes, workspaces and the admin token when run again', async () => {
    const { up } = await startUp();
    expect(up.adminToken).toBe(first.adminToken);
    expect(up.nodes.map((n) => n.id).sort()).toEqual(first.nodes.map((n) => n.id).sort());
    // Each node is back on the port it had, so its URL and its apps' links still work.
    const urlOf = (f: UpFile) => Object.fromEntries(f.nodes.map((n) => [n.id, n.url]));
    expect(urlOf(up)).toEqual(urlOf(first));
    const client = createControlClient(up.controlUrl, { token: up.adminToken });
    await eventually(
      async () =>
        (await client.GET('/api/v1/workspaces/{id}', { params: { path: { id: workspaceId } } })).data
          ?.status === 'running',
      'the workspace running again after the restart',
    );
    expect(await stopUp()).toBe(0);
  });
});
