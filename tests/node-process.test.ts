// A real node process (`warren node join`): ready line, survives being killed hard without losing or leaking a
// workspace, and stops cleanly on SIGTERM.
import { afterAll, describe, expect, it } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { newId, type WorkspaceAssignment } from '../contract/index.ts';
import {
  ECHO_APP,
  eventually,
  startTestIssuer,
  type TestIssuer,
  tempDataDir,
} from '../node/testing/index.ts';
import { NODE_READY, startWarren, WARREN_CLI } from './testing/index.ts';

const procs: ReturnType<typeof Bun.spawn>[] = [];
const dirs: string[] = [];
let issuer: TestIssuer | undefined;
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await issuer?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts `warren node join` and resolves with the ready line's content. */
async function startNodeProcess(args: string[]) {
  const { proc, ready } = await startWarren<{ nodeId: string; url: string }>(
    ['node', 'join', ...args],
    NODE_READY,
    'the node ready line',
  );
  procs.push(proc);
  return { proc, ...ready };
}

function liveProcess(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function storedPgid(dir: string): number | undefined {
  const list = JSON.parse(readFileSync(join(dir, 'workspaces.json'), 'utf8')) as { pgid?: number }[];
  return list[0]?.pgid;
}

describe('warren node join (process)', () => {
  it('comes back after being killed hard: leftovers ended, workspace running, old tokens accepted', async () => {
    issuer = await startTestIssuer({ heartbeatIntervalMs: 60_000 });
    const dir = tempDataDir();
    dirs.push(dir);
    // The process runtime, whose apps outlive a killed node (own session) and are ended by the next start; a
    // sandbox dies with its node instead (tests/sandbox.test.ts).
    const base = [
      '--control',
      issuer.url,
      '--data',
      dir,
      '--listen',
      '127.0.0.1:0',
      '--name',
      'proc-node',
      '--runtime',
      'process',
    ];
    const first = await startNodeProcess([...base, '--join-token', issuer.joinToken()]);
    const ws: WorkspaceAssignment = {
      id: newId('workspace'),
      name: 'w',
      projectId: newId('project'),
      ownerId: newId('user'),
      desiredState: 'running',
      appCommand: `sleep 600 & exec ${process.execPath} ${ECHO_APP}`,
      env: {},
    };
    await issuer.place(first.nodeId, ws, first.url);
    const token = await issuer.mint({ workspaceId: ws.id, userId: ws.ownerId });
    const call = (url: string) =>
      fetch(`${url}/w/${ws.id}/`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    await eventually(async () => (await call(first.url)) === 200, 'the workspace through the first node');
    const oldPgid = storedPgid(dir)!;
    expect(liveProcess(oldPgid)).toBe(true);

    first.proc.kill('SIGKILL');
    await first.proc.exited;
    // The app survived its node (own session); the restarted node must end it before starting anew.
    expect(liveProcess(oldPgid)).toBe(true);

    const second = await startNodeProcess(base);
    expect(second.nodeId).toBe(first.nodeId);
    await eventually(() => !liveProcess(oldPgid), 'the leftover app to be ended');
    await eventually(
      async () => (await call(second.url)) === 200,
      'the workspace through the restarted node',
    );
    const newPgid = storedPgid(dir)!;
    expect(newPgid).not.toBe(oldPgid);

    second.proc.kill('SIGTERM');
    expect(await second.proc.exited).toBe(0);
    expect(liveProcess(newPgid)).toBe(false);
    expect(issuer.stats.joins).toBe(1);
  });

  it('exits 2 with a message naming the flag when the control URL is missing', async () => {
    const proc = Bun.spawn([process.execPath, WARREN_CLI, 'node', 'join'], {
      stdout: 'pipe',
      stderr: 'pipe',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain('--control (or WARREN_CONTROL_URL) is required');
  });
});
