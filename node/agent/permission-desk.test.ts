// The permission desk on a real data dir: a request outlives the desk that took it (a node restart), is offered
// again as resumed, and its answer is kept for the restarted agent's same request.
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPermissionDesk, PERMISSION_FILE, PermissionError } from './permission-desk.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ask = {
  workspaceId: 'ws-a',
  taskId: 'task-a',
  promptId: 'prompt-1',
  prompt: '/permission',
  toolCall: { toolCallId: 't1', title: 'write a file' },
  options: [
    { optionId: 'yes', name: 'Allow', kind: 'allow_once' as const },
    { optionId: 'no', name: 'Reject', kind: 'reject_once' as const },
  ],
  policy: 'ask' as const,
};

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof PermissionError ? e.code : 'other';
  }
  return 'none';
};

describe('Permission desk', () => {
  it('keeps a waiting request across a restart and hands its answer to the restarted agent once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-permissions-'));
    dirs.push(dataDir);
    const first = createPermissionDesk({ dataDir, needsInputAfterMs: 60_000 });
    let gotFirst: string | null | undefined;
    void first.ask(ask).then((o) => {
      gotFirst = o;
    });
    const [waiting] = first.pending('ws-a');
    expect(waiting).toMatchObject({ taskId: 'task-a', resumed: false });
    expect(statSync(join(dataDir, PERMISSION_FILE)).mode & 0o777).toBe(0o600);
    // The node stops: its turn ends, but the request is neither withdrawn nor answered.
    first.hold();
    first.withdraw('ws-a', 'prompt-1');
    expect(gotFirst).toBeUndefined();

    const resumed: string[] = [];
    const settled: [string | null, string][] = [];
    const second = createPermissionDesk({
      dataDir,
      needsInputAfterMs: 60_000,
      onResume: (r) => resumed.push(r.prompt),
      onSettled: (_r, optionId, by) => settled.push([optionId, by]),
    });
    expect(second.waitingTasks()).toEqual(new Set(['task-a']));
    expect(second.pending('ws-a')).toEqual([{ ...waiting!, resumed: true }]);
    // Only the workspace (and task) that asked can answer it.
    expect(codeOf(() => second.answer('ws-b', waiting!.id, 'yes'))).toBe('not_found');
    expect(codeOf(() => second.answer('ws-a', waiting!.id, 'yes', 'task-b'))).toBe('not_found');
    expect(codeOf(() => second.answer('ws-a', waiting!.id, 'later'))).toBe('invalid_request');
    expect(second.answer('ws-a', waiting!.id, 'no', 'task-a')).toEqual({
      requestId: waiting!.id,
      optionId: 'no',
    });
    expect(resumed).toEqual(['/permission']);
    expect(settled).toEqual([['no', 'person']]);
    expect(second.pending('ws-a')).toEqual([]);
    expect(codeOf(() => second.answer('ws-a', waiting!.id, 'yes'))).toBe('conflict');
    // The node restarts again before the restarted agent asked: the answer is resumed once more.
    second.hold();
    const again: string[] = [];
    const third = createPermissionDesk({
      dataDir,
      needsInputAfterMs: 60_000,
      onResume: (r) => again.push(r.id),
    });
    third.resumeAnswered();
    expect(again).toEqual([waiting!.id]);
    expect(codeOf(() => third.answer('ws-a', waiting!.id, 'yes'))).toBe('conflict');
    // The restarted agent asks the same again: it gets the answer at once, and nothing is asked of a person.
    expect(await third.ask({ ...ask, promptId: 'prompt-2' })).toBe('no');
    expect(settled).toEqual([['no', 'person']]);
    expect(third.waitingTasks()).toEqual(new Set());
    // A third run finds nothing left.
    expect(createPermissionDesk({ dataDir, needsInputAfterMs: 60_000 }).pending('ws-a')).toEqual([]);
  });

  it('answers under the allow policy with the allow option and keeps nothing', async () => {
    const desk = createPermissionDesk({ needsInputAfterMs: 60_000 });
    expect(await desk.ask({ ...ask, policy: 'allow' })).toBe('yes');
    expect(desk.pending('ws-a')).toEqual([]);
  });

  it('asks a person under the allow policy when the agent offers no allow option', async () => {
    const desk = createPermissionDesk({ needsInputAfterMs: 60_000 });
    const answer = desk.ask({ ...ask, policy: 'allow', options: [ask.options[1]!] });
    const [r] = desk.pending('ws-a');
    desk.answer('ws-a', r!.id, 'no');
    expect(await answer).toBe('no');
  });
});
