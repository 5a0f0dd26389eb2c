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

  it('quotes the last lines the app printed when it exits (exited with code 127 says what was missing)', async () => {
    const { runtime } = setup((c) => {
      c.maxRestarts = 1;
      c.restartBaseMs = 10;
    });
    const s = spec('echo starting up; echo "config loaded" >&2; no-such-command-here');
    runtime.start(s);
    const r = await eventually(() => {
      const rep = runtime.report(s.id);
      return rep?.status === 'error' ? rep : undefined;
    }, 'error');
    expect(r.reason).toStartWith('app command exited with code 127');
    expect(r.reason).toContain('no-such-command-here');
    expect(r.reason).toContain('not found');
    expect(r.reason!.length).toBeLessThanOrEqual(1000);
    // Only the last run's lines: each of the two runs printed `config loaded` once.
    expect(r.reason!.split('\n').filter((l) => l === 'config loaded')).toEqual(['config loaded']);
    // Every line is in the workspace's logs, tagged with its stream.
    const lines = runtime.logs.tail(s.id, 100);
    expect(lines.filter((l) => l.text === 'starting up').map((l) => l.stream)).toEqual(['stdout', 'stdout']);
    expect(lines.filter((l) => l.text === 'config loaded').map((l) => l.stream)).toEqual([
      'stderr',
      'stderr',
    ]);
    expect(lines.every((l) => l.source === 'app')).toBe(true);
  });

  it('restarts a running workspace with a changed spec, and leaves it alone when the spec is the same', async () => {
    const { runtime, events } = setup();
    const s = spec(`exec ${process.execPath} ${ECHO_APP}`, { GREETING: 'hello' });
    runtime.start(s);
    await eventually(() => runtime.report(s.id)?.status === 'running', 'running');
    const pid = runtime.processGroup(s.id);
    runtime.start({ ...s });
    expect(runtime.processGroup(s.id)).toBe(pid);
    expect(runtime.report(s.id)?.status).toBe('running');
    runtime.start({ ...s, env: { GREETING: 'bonjour' } });
    expect(runtime.report(s.id)).toMatchObject({
      status: 'starting',
      reason: 'restarting with the new spec',
    });
    await eventually(
      () => runtime.report(s.id)?.status === 'running' && runtime.processGroup(s.id) !== pid,
      'running again with a new process',
    );
    const body = await get(runtime.get(s.id)!.port!, '/x');
    expect(body.env).toEqual({ WORKSPACE: s.id, GREETING: 'bonjour' });
    // A retry: the same spec with a new generation starts afresh too.
    const before = runtime.processGroup(s.id);
    runtime.start({ ...s, env: { GREETING: 'bonjour' }, generation: 1 });
    await eventually(
      () => runtime.report(s.id)?.status === 'running' && runtime.processGroup(s.id) !== before,
      'a new process for the new generation',
    );
    expect(events.filter((e) => e.reason === 'restarting with the new spec').length).toBe(2);
  });

  it('lets a workspace in error still start processes (a terminal to look into why)', async () => {
    const { runtime } = setup((c) => {
      c.maxRestarts = 0;
    });
    const s = spec('exit 3');
    runtime.start(s);
    await eventually(() => runtime.report(s.id)?.status === 'error', 'error');
    const launched = runtime.spawn(s.id, {
      argv: ['sh', '-c', 'echo alive'],
      purpose: 'terminal',
      stdout: 'pipe',
    });
    expect(await new Response(launched.proc.stdout as ReadableStream).text()).toBe('alive\n');
    await runtime.stop(s.id);
    expect(() => runtime.spawn(s.id, { argv: ['true'], purpose: 'terminal' })).toThrow('not running');
  });

  it('reports a running workspace whose agent failed as degraded with the reason, until it is healthy again', async () => {
    const { runtime } = setup();
    const s = spec(null);
    runtime.start(s);
    await eventually(() => runtime.report(s.id)?.status === 'running', 'running');
    runtime.degrade(s.id, 'agent failed: the agent exited 5 times in a row (last code 127)');
    expect(runtime.report(s.id)).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining('code 127'),
    });
    // It still runs: routing and terminals see it running.
    expect(runtime.get(s.id)?.status).toBe('running');
    runtime.degrade(s.id, undefined);
    expect(runtime.report(s.id)?.status).toBe('running');
  });
});
