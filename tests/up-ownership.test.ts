// One process per node identity: `warren up` killed with SIGKILL takes its nodes and their workspaces with it,
// the next `up` runs each node once, and a second `up` or `node join` on a data dir in use refuses to start.
import { afterAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { LOCK_FILE } from '../disk/index.ts';
import { ECHO_APP, eventually, tempDataDir } from '../node/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';

const ROOT = resolve(import.meta.dir, '..');
const CLI = join(ROOT, 'cli/main.ts');
const dataDir = tempDataDir();
const logDir = mkdtempSync(join(tmpdir(), 'warren-up-logs-'));
// In the app's command line, so its copies can be counted apart from every other echo app on this machine.
const marker = `up-ownership-${crypto.randomUUID()}`;
const ups: ReturnType<typeof Bun.spawn>[] = [];

interface UpFile {
  controlUrl: string;
  adminToken: string;
  nodes: { id: string; url: string }[];
}

/** Starts `warren up --nodes 2` on the data dir; resolves with the process and its fresh up.json. */
async function startUp(): Promise<{ proc: ReturnType<typeof Bun.spawn>; up: UpFile }> {
  rmSync(join(dataDir, 'up.json'), { force: true });
  const proc = spawnUp(`up-${ups.length + 1}.log`);
  ups.push(proc);
  const up = await eventually(
    () => {
      if (proc.exitCode !== null) throw new Error(`warren up exited with ${proc.exitCode}`);
      const f = join(dataDir, 'up.json');
      return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as UpFile) : undefined;
    },
    'warren up to write up.json',
    30_000,
  );
  return { proc, up };
}

function spawnUp(log: string, stderr: 'pipe' | 'file' = 'file') {
  const out = Bun.file(join(logDir, log));
  return Bun.spawn([process.execPath, CLI, 'up', '--port', '0', '--data', dataDir, '--nodes', '2'], {
    stdout: out,
    stderr: stderr === 'pipe' ? 'pipe' : out,
  });
}

/** Every process's argv, from /proc (a process gone while reading is skipped). */
function processes(): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length > 0) out.push({ pid: Number(name), argv });
    } catch {}
  }
  return out;
}

/** Node processes of this data dir, by node id (the `--name` the local provider gives them). */
function nodeProcesses(): Map<string, number[]> {
  const byId = new Map<string, number[]>();
  for (const p of processes()) {
    const at = p.argv.indexOf('join');
    if (at < 1 || p.argv[at - 1] !== 'node' || !p.argv.some((a) => a.startsWith(dataDir))) continue;
    // Its data dir is <data>/nodes/<nodeId>/node (its --name is a human one, local-N).
    const id = basename(dirname(p.argv[p.argv.indexOf('--data') + 1] ?? ''));
    byId.set(id, [...(byId.get(id) ?? []), p.pid]);
  }
  return byId;
}

/** Running copies of this test's workspace app: the app process itself, not the sandbox or shell around it. */
function appCopies(): number[] {
  return processes()
    .filter((p) => p.argv[0] === process.execPath && p.argv.includes(ECHO_APP) && p.argv.includes(marker))
    .map((p) => p.pid);
}

type Client = ReturnType<typeof createControlClient>;

const statusOf = async (client: Client, id: string) =>
  (await client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).data?.status;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is dead too: it only waits for its parent to read its exit status.
  return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

afterAll(async () => {
  for (const p of ups) p.kill('SIGKILL');
  await Promise.all(ups.map((p) => p.exited));
  for (const p of processes()) {
    if (p.pid !== process.pid && p.argv.some((a) => a.includes(dataDir) || a === marker)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {}
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(logDir, { recursive: true, force: true });
});

describe('warren up owns its nodes', () => {
  let first: { proc: ReturnType<typeof Bun.spawn>; up: UpFile };
  let workspaceId = '';

  it('starts two nodes and a workspace', async () => {
    first = await startUp();
    expect(first.up.nodes).toHaveLength(2);
    const client = createControlClient(first.up.controlUrl, { token: first.up.adminToken });
    const project = await client.POST('/api/v1/projects', { body: { name: 'ownership' } });
    const ws = await client.POST('/api/v1/workspaces', {
      body: {
        name: 'app',
        projectId: project.data!.id,
        appCommand: `exec ${process.execPath} ${ECHO_APP} ${marker}`,
      },
    });
    expect(ws.response.status).toBeLessThan(300);
    workspaceId = ws.data!.id;
    await eventually(
      async () => (await statusOf(client, workspaceId)) === 'running',
      'the workspace running',
      20_000,
    );
    expect(appCopies()).toHaveLength(1);
    expect([...nodeProcesses().values()].map((pids) => pids.length)).toEqual([1, 1]);
  });

  it('refuses a second `warren up` on the same data dir in one line naming the running one, and leaves up.json alone', async () => {
    const upFile = join(dataDir, 'up.json');
    const before = { text: readFileSync(upFile, 'utf8'), mtime: statSync(upFile).mtimeMs };
    const second = spawnUp('up-refused.log', 'pipe');
    ups.push(second);
    const code = await second.exited;
    const stderr = (await new Response(second.stderr as ReadableStream).text()).trim();
    expect(code).not.toBe(0);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toContain(`in use by pid ${first.proc.pid}`);
    expect(readFileSync(upFile, 'utf8')).toBe(before.text);
    expect(statSync(upFile).mtimeMs).toBe(before.mtime);
    expect(appCopies()).toHaveLength(1);
    expect([...nodeProcesses().values()].map((pids) => pids.length)).toEqual([1, 1]);
  });

  it('refuses a second `warren node join` on a node data dir in use, naming the node that holds it', async () => {
    const [nodeId, [pid]] = [...nodeProcesses()][0]!;
    const join2 = Bun.spawn(
      [
        process.execPath,
        CLI,
        'node',
        'join',
        '--control',
        first.up.controlUrl,
        '--data',
        join(dataDir, 'nodes', nodeId, 'node'),
        '--listen',
        '127.0.0.1:0',
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    );
    // A node that was not refused would run until stopped.
    const timer = setTimeout(() => join2.kill('SIGKILL'), 20_000);
    const code = await join2.exited;
    clearTimeout(timer);
    const stderr = (await new Response(join2.stderr).text()).trim();
    expect(code).not.toBe(0);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toContain(`in use by pid ${pid}`);
    expect(alive(pid!)).toBe(true);
    expect(appCopies()).toHaveLength(1);
  });

  it('takes its nodes and their workspaces down with it when killed with SIGKILL alone; they stop cleanly', async () => {
    const nodes = nodeProcesses();
    const pids = [...nodes.values()].flat();
    expect(pids).toHaveLength(2);
    // The process alone, not its group: nothing else is told.
    process.kill(first.proc.pid, 'SIGKILL');
    await first.proc.exited;
    await eventually(() => pids.every((pid) => !alive(pid)), 'the node processes gone', 20_000);
    await eventually(() => appCopies().length === 0, 'the workspace app gone', 10_000);
    for (const nodeId of nodes.keys()) {
      const nodeDir = join(dataDir, 'nodes', nodeId, 'node');
      // A clean stop: the node said why and let go of its lock.
      expect(readFileSync(join(dataDir, 'nodes', nodeId, 'node.log'), 'utf8')).toContain(
        'the process that started this node is gone; stopping',
      );
      expect(existsSync(join(nodeDir, LOCK_FILE))).toBe(false);
    }
    // The control plane's lock stays behind, naming a dead pid: the next `up` takes it over.
    expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).toContain(`"pid":${first.proc.pid}`);
  });

  it('runs exactly one process per node id and one copy of the workspace app on the next up', async () => {
    const { proc, up } = await startUp();
    expect(up.nodes.map((n) => n.id).sort()).toEqual(first.up.nodes.map((n) => n.id).sort());
    const client = createControlClient(up.controlUrl, { token: up.adminToken });
    await eventually(
      async () => (await statusOf(client, workspaceId)) === 'running' && appCopies().length > 0,
      'the workspace running again',
      20_000,
    );
    const nodes = nodeProcesses();
    expect([...nodes.keys()].sort()).toEqual(first.up.nodes.map((n) => n.id).sort());
    expect([...nodes.values()].map((pids) => pids.length)).toEqual([1, 1]);
    expect(appCopies()).toHaveLength(1);
    expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8')).toContain(`"pid":${proc.pid}`);

    proc.kill('SIGINT');
    expect(await proc.exited).toBe(0);
    await eventually(() => nodeProcesses().size === 0, 'every node process gone');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });
});
