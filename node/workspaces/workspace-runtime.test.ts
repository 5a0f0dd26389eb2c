// The process runtime: own directory and env, PORT, process groups that stop and delete end, crash restarts.
import { afterEach, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId, type WorkspaceAssignment, type WorkspaceReport } from '../../contract/index.ts';
import { localNodeConfig } from '../config.ts';
import { ECHO_APP, eventually } from '../testing/index.ts';
import { groupMembers } from './process-group.ts';
import type { Runtime } from './runtime.ts';
import { createProcessRuntime } from './workspace-runtime.ts';

const dirs: string[] = [];
const runtimes: Runtime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.shutdown()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(tweak: (c: ReturnType<typeof localNodeConfig>['runtime']) => void = () => {}) {
  const dir = mkdtempSync(join(tmpdir(), 'warren-rt-'));
  dirs.push(dir);
  const config = localNodeConfig().runtime;
  tweak(config);
  const runtime = createProcessRuntime(dir, config);
  runtimes.push(runtime);
  const events: WorkspaceReport[] = [];
  runtime.onChange((r) => events.push(r));
  return { runtime, dir, events };
}

function spec(appCommand: string | null, env: Record<string, string> = {}): WorkspaceAssignment {
  return {
    id: newId('workspace'),
    name: 'w',
    projectId: newId('project'),
    ownerId: newId('user'),
    desiredState: 'running',
    appCommand,
    env,
  };
}

async function get(port: number, path: string) {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).json() as Promise<Record<string, unknown>>;
}

describe('ProcessRuntime', () => {
  it('runs the app command in its own directory with PORT and the workspace env, then reports running', async () => {
    const { runtime, dir, events } = setup();
    const s = spec(`exec ${process.execPath} ${ECHO_APP}`, { GREETING: 'hello' });
    runtime.start(s);
    expect(runtime.report(s.id)?.status).toBe('starting');
    await eventually(() => runtime.report(s.id)?.status === 'running', 'running');
    const port = runtime.get(s.id)!.port!;
    const body = await get(port, '/x');
    expect(body.cwd).toBe(join(dir, 'workspaces', s.id));
    expect(body.env).toEqual({ WORKSPACE: s.id, GREETING: 'hello' });
    expect(events.map((e) => e.status).filter((st, i, a) => st !== a[i - 1])).toEqual([
      'starting',
      'running',
    ]);
  });

  it('runs a workspace without an app command as a directory only', async () => {
    const { runtime, dir } = setup();
    const s = spec(null);
    runtime.start(s);
    await eventually(() => runtime.report(s.id)?.status === 'running', 'running');
    expect(runtime.report(s.id)).toEqual({ id: s.id, status: 'running' });
    expect(existsSync(join(dir, 'workspaces', s.id))).toBe(true);
  });

  it('stop ends the whole process group, children included, and keeps the directory', async () => {
    const { runtime, dir } = setup();
    const s = spec(`exec ${process.execPath} ${ECHO_APP}`);
    runtime.start(s);
    await eventually(() => runtime.report(s.id)?.status === 'running', 'running');
    const pgid = runtime.processGroup(s.id)!;
    const child = (await get(runtime.get(s.id)!.port!, '/spawn-child')).pid as number;
    expect(groupMembers(pgid)).toContain(child);
    await runtime.stop(s.id);
    expect(runtime.report(s.id)?.status).toBe('stopped');
    expect(groupMembers(pgid)).toEqual([]);
    expect(existsSync(join(dir, 'workspaces', s.id))).toBe(true);
  });

  it('delete ends every process and removes the directory', async () => {
    const { runtime, dir } = setup();
    const s = spec(`sleep 600 & exec ${process.execPath} ${ECHO_APP}`);
    runtime.start(s);
    await eventually(() => runtime.report(s.id)?.status === 'running', 'running');
    const pgid = runtime.processGroup(s.id)!;
    expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(2);
    await runtime.remove(s.id);
    expect(groupMembers(pgid)).toEqual([]);
    expect(runtime.report(s.id)).toBeUndefined();
    expect(existsSync(join(dir, 'workspaces', s.id))).toBe(false);
  });

  it('announces a delete once the workspace is gone, so listeners that list reports() no longer see it', async () => {
    const { runtime } = setup();
    const s = spec(`exec ${process.execPath} ${ECHO_APP}`);
    runtime.start(s);
    await eventually(() => runtime.report(s.id)?.status === 'running', 'running');
    const listed: string[][] = [];
    runtime.onChange(() => listed.push(runtime.reports().map((r) => r.id)));
    const last: WorkspaceReport[] = [];
    runtime.onChange((r) => last.push(r));
    await runtime.remove(s.id);
    expect(last.at(-1)).toEqual({ id: s.id, status: 'stopped', reason: 'deleted' });
    // The deleting state is announced while it is listed; the last announcement comes after it left the list.
    expect(listed.at(0)).toContain(s.id);
    expect(listed.at(-1)).not.toContain(s.id);
  });

  it('restarts a crashed app with backoff', async () => {
    const { runtime, events } = setup();
    // Crashes on the first run only (a marker file survives in the workspace dir).
    const s = spec(
      `if [ -f crashed ]; then exec ${process.execPath} ${ECHO_APP}; else touch crashed; exit 7; fi`,
    );
    runtime.start(s);
    await eventually(() => runtime.report(s.id)?.status === 'running', 'running after a restart');
    expect(events.some((e) => e.reason?.includes('exited with code 7'))).toBe(true);
  });

  it('ends an app that never listens on PORT in error, with the reason, and leaves no process', async () => {
    const { runtime } = setup((c) => {
      c.readyTimeoutMs = 200;
    });
    const s = spec('exec sleep 600');
    runtime.start(s);
    const pgid = await eventually(() => runtime.processGroup(s.id), 'the app to start');
    const r = await eventually(() => {
      const rep = runtime.report(s.id);
      return rep?.status === 'error' ? rep : undefined;
    }, 'error');
    expect(r.reason).toContain('did not listen on PORT');
    expect(groupMembers(pgid)).toEqual([]);
  });

  it('goes to error with the reason after repeated failures', async () => {
    const { runtime } = setup((c) => {
      c.maxRestarts = 2;
      c.restartBaseMs = 10;
    });
    const s = spec('exit 9');
    runtime.start(s);
    const r = await eventually(() => {
      const rep = runtime.report(s.id);
      return rep?.status === 'error' ? rep : undefined;
    }, 'error');
    expect(r.reason).toContain('code 9');
    expect(r.reason).toContain('3 consecutive failures');
  });
});
