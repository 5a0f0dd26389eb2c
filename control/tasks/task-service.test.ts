// Tasks on a real libSQL file, with two clients on it as two control processes would be: one owner per
// task under duplicate submissions and concurrent dispatches, cancel, follow-ups, and the transition table.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@libsql/client';
import { newId, TASK_STATUSES, type TaskStatus } from '../../contract/index.ts';
import { createActivityLog } from '../activity/index.ts';
import { openDatabase } from '../db/index.ts';
import { ControlError } from '../errors.ts';
import { FakeClock, seedRows } from '../testing/index.ts';
import {
  createTaskService,
  TASK_TRANSITIONS,
  type TaskAgents,
  type TaskPlacement,
  TaskPlacementError,
  type TaskRow,
  type TaskService,
} from './index.ts';

/** Records what the control plane asked the node side to do (the node bridge is reached over HTTP). */
class RecordingAgents implements TaskAgents {
  started: string[] = [];
  sent: [string, string][] = [];
  stopped: string[] = [];
  /** What each start sent as the turn's prompt. */
  prompts: [string, string][] = [];
  /** Runs while a start is in flight (to cancel the task meanwhile). */
  during?: (task: TaskRow) => Promise<void>;
  async start(task: TaskRow, _where: unknown, prompt: string) {
    this.started.push(task.id);
    this.prompts.push([task.id, prompt]);
    await this.during?.(task);
    await Bun.sleep(1); // let racing dispatches interleave
    return { agentSessionId: `session-${task.id}` };
  }
  async send(task: TaskRow, text: string) {
    this.sent.push([task.id, text]);
  }
  async stop(task: TaskRow) {
    this.stopped.push(task.id);
  }
  async permissions() {
    return [];
  }
  async answer(_task: TaskRow, requestId: string, optionId: string) {
    return { requestId, optionId };
  }
}

const SHARED = newId('workspace');
const NODE = newId('node');
const PROJECT = newId('project');
const alice = { userId: newId('user'), admin: false };
const bob = { userId: newId('user'), admin: false };

const workspaceOf = new Map<string, string>();
const wsOf = (taskId: string) => {
  if (!workspaceOf.has(taskId)) workspaceOf.set(taskId, newId('workspace'));
  return workspaceOf.get(taskId) as string;
};
let dir: string;
let clients: Client[];
let agents: RecordingAgents;
let placed: string[];
let services: TaskService[];
let tasks: TaskService;
let clock: FakeClock;
/** What the pull request publisher was asked: the task's PR number then, the branch and the base. */
const published: {
  task: string;
  number: number | null;
  branch: string;
  base: string;
  summary: string | null;
}[] = [];

async function open(path: string) {
  const c = (await openDatabase(`file:${path}`)).client;
  await seedRows(c, {
    users: [alice.userId, bob.userId],
    projects: [PROJECT],
    nodes: [NODE],
    workspaces: [SHARED],
  });
  return c;
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (e instanceof ControlError) return e.code;
    throw e;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warren-tasks-'));
  const path = join(dir, 'control.db');
  clients = [await open(path), await open(path)];
  agents = new RecordingAgents();
  placed = [];
  const placement: TaskPlacement = {
    async place(task) {
      placed.push(task.id);
      if (task.prompt === 'no room') throw new TaskPlacementError('no warm node', true);
      // Each task gets a workspace of its own unless its prompt asks for the shared one.
      const workspaceId = task.prompt.startsWith('shared') ? SHARED : wsOf(task.id);
      await seedRows(clients[0] as Client, {
        users: [alice.userId],
        projects: [PROJECT],
        workspaces: [workspaceId],
      });
      return { workspaceId, nodeId: NODE };
    },
  };
  clock = new FakeClock(Date.UTC(2030, 0, 1));
  services = clients.map((client) =>
    createTaskService({
      client,
      clock,
      placement,
      agents,
      activity: createActivityLog({ client, clock, cursorKey: new Uint8Array(32) }),
      pullRequests: {
        async publish(task, branch, base) {
          published.push({
            task: task.id,
            number: task.pullRequestNumber,
            branch,
            base,
            summary: task.summary,
          });
          return { number: 7, url: 'https://github.com/acme/app/pull/7' };
        },
      },
    }),
  );
  tasks = services[0] as TaskService;
});

afterAll(() => {
  for (const c of clients) c.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Tasks', () => {
  it('round-trips every task status through the database', async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'statuses' });
    for (const s of TASK_STATUSES) {
      await clients[0]?.execute({ sql: 'UPDATE tasks SET status = ? WHERE id = ?', args: [s, task.id] });
      expect((await tasks.get(alice, task.id)).status).toBe(s);
    }
    await expect(
      clients[0]?.execute({ sql: "UPDATE tasks SET status = 'done' WHERE id = ?", args: [task.id] }),
    ).rejects.toThrow();
  });

  it('returns the same task for every submission with the same key, even concurrently', async () => {
    const input = { projectId: PROJECT, prompt: 'fix the build', idempotencyKey: 'key-1' };
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (services[i % 2] as TaskService).submit(alice, input)),
    );
    expect(new Set(results.map((r) => r.task.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const count = await clients[0]?.execute({
      sql: "SELECT COUNT(*) AS n FROM tasks WHERE idempotency_key = 'key-1'",
    });
    expect(Number(count?.rows[0]?.n)).toBe(1);
    // Another user's key space is their own; a different request under a used key is a conflict.
    expect((await tasks.submit(bob, input)).created).toBe(true);
    expect(await failure(tasks.submit(alice, { ...input, prompt: 'something else' }))).toBe('conflict');
    // Without a key every submission is a task.
    const a = await tasks.submit(alice, { projectId: PROJECT, prompt: 'p' });
    const b = await tasks.submit(alice, { projectId: PROJECT, prompt: 'p' });
    expect(a.task.id).not.toBe(b.task.id);
  });

  it('starts a task once however many dispatches race or retry', async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'race me' });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (services[i % 2] as TaskService).dispatch(task.id)),
    );
    expect(results.filter((r) => r.started)).toHaveLength(1);
    expect(agents.started.filter((id) => id === task.id)).toHaveLength(1);
    expect(placed.filter((id) => id === task.id)).toHaveLength(1);
    const again = await tasks.dispatch(task.id);
    expect(again.started).toBe(false);
    expect(again.task).toMatchObject({ status: 'running', workspaceId: wsOf(task.id), nodeId: NODE });
    expect(again.task.agentSessionId).toBe(`session-${task.id}`);
    expect(agents.started.filter((id) => id === task.id)).toHaveLength(1);
  });

  it('leaves a task queued when no warm node has room, to be dispatched again', async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'no room' });
    const r = await tasks.dispatch(task.id);
    expect(r).toMatchObject({ started: false, task: { status: 'queued', dispatchId: null } });
  });

  it('sends follow-ups to a running task and holds earlier ones until it starts', async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'follow me' });
    await tasks.message(alice, task.id, 'early note');
    expect(agents.sent.filter(([id]) => id === task.id)).toEqual([]);
    await tasks.dispatch(task.id);
    await tasks.message(alice, task.id, 'while running');
    expect(agents.sent.filter(([id]) => id === task.id).map(([, t]) => t)).toEqual([
      'early note',
      'while running',
    ]);
    expect((await tasks.messages(alice, task.id)).every((m) => m.deliveredAt !== null)).toBe(true);
    expect(await failure(tasks.message(bob, task.id, 'not mine'))).toBe('not_found');
  });

  it('cancels a running task, stops its agent, and takes nothing after', async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'cancel me' });
    await tasks.dispatch(task.id);
    const cancelled = await tasks.cancel(alice, task.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.endedAt).not.toBeNull();
    expect(agents.stopped).toContain(task.id);
    expect(await failure(tasks.cancel(alice, task.id))).toBe('illegal_transition');
    expect(await failure(tasks.message(alice, task.id, 'too late'))).toBe('illegal_transition');
    expect(await failure(tasks.report(NODE, task.id, { status: 'completed', outcome: {} }))).toBe(
      'illegal_transition',
    );
    expect((await tasks.dispatch(task.id)).started).toBe(false);
  });

  it('cancels a queued task so that a later dispatch never starts it', async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'never run' });
    expect((await tasks.cancel(alice, task.id)).status).toBe('cancelled');
    expect((await tasks.dispatch(task.id)).started).toBe(false);
    expect(agents.started).not.toContain(task.id);
  });

  it('takes the end of a task only from its own node, once, and logs it to the workspace', async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'report me' });
    expect(await failure(tasks.report(NODE, task.id, { status: 'completed', outcome: {} }))).toBe(
      'not_found',
    );
    await tasks.dispatch(task.id);
    expect(await failure(tasks.report(newId('node'), task.id, { status: 'completed', outcome: {} }))).toBe(
      'not_found',
    );
    const report = {
      status: 'completed' as const,
      outcome: { stopReason: 'end_turn' },
      summary: 'fixed flaky tests',
    };
    const done = await tasks.report(NODE, task.id, report);
    expect(done).toMatchObject({ status: 'completed', summary: 'fixed flaky tests' });
    expect((await tasks.report(NODE, task.id, report)).status).toBe('completed');
    expect(await failure(tasks.report(NODE, task.id, { status: 'failed', outcome: {} }))).toBe(
      'illegal_transition',
    );
    expect((await tasks.list(alice, { q: 'flaky' })).map((t) => t.id)).toEqual([task.id]);
    expect(await tasks.list(alice, { q: 'flaky OR build' })).toEqual([]);
    expect(await tasks.list(bob, { q: 'flaky' })).toEqual([]);
    const log = createActivityLog({
      client: clients[0] as Client,
      clock: new FakeClock(Date.UTC(2030, 0, 1)),
      cursorKey: new Uint8Array(32),
    });
    const types = (await log.list(wsOf(task.id))).map((e) => e.type);
    expect(types).toContain('task.completed');
    expect(types).toContain('task.running');
  });

  it('undoes the start of a task cancelled while it was being placed, and never marks it running', async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'cancel mid-start' });
    agents.during = async (t) => {
      if (t.id === task.id) await tasks.cancel(alice, task.id);
    };
    const r = await tasks.dispatch(task.id);
    agents.during = undefined;
    expect(r).toMatchObject({ started: false, task: { status: 'cancelled' } });
    expect(agents.stopped).toContain(task.id);
    expect((await tasks.get(alice, task.id)).status).toBe('cancelled');
  });

  it("takes its node's end report that outran the start (a short turn) as the task's end, once", async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'over before it started' });
    agents.during = async (t) => {
      if (t.id === task.id)
        await tasks.report(NODE, task.id, { status: 'completed', outcome: {}, summary: 'quick' });
    };
    const r = await tasks.dispatch(task.id);
    agents.during = undefined;
    expect(r).toMatchObject({
      started: true,
      task: { status: 'completed', summary: 'quick', agentSessionId: `session-${task.id}` },
    });
    expect(agents.stopped).not.toContain(task.id);
    // A retry of the same report is answered with the task as it is.
    const again = await tasks.report(NODE, task.id, { status: 'completed', outcome: {}, summary: 'quick' });
    expect(again.status).toBe('completed');
  });

  it('gives a workspace one task at a time: a second waits queued until the first ends', async () => {
    const first = (await tasks.submit(alice, { projectId: PROJECT, prompt: 'shared one' })).task;
    const second = (await tasks.submit(alice, { projectId: PROJECT, prompt: 'shared two' })).task;
    expect((await tasks.dispatch(first.id)).started).toBe(true);
    const blocked = await tasks.dispatch(second.id);
    expect(blocked).toMatchObject({ started: false, task: { status: 'queued', workspaceId: null } });
    expect(agents.started).not.toContain(second.id);
    await tasks.report(NODE, first.id, { status: 'completed', outcome: {} });
    expect((await tasks.dispatch(second.id)).started).toBe(true);
  });

  it('shows a task waiting on a person as needs_input, from its own node only, and runs it again when answered', async () => {
    // The shared workspace is free first (a task of an earlier test may hold it).
    const holding = await clients[0]!.execute({
      sql: "SELECT id FROM tasks WHERE workspace_id = ? AND status IN ('placing', 'running', 'needs_input')",
      args: [SHARED],
    });
    for (const r of holding.rows)
      await tasks.report(NODE, String(r.id), { status: 'completed', outcome: {} });
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'shared ask me' });
    expect(await failure(tasks.needsInput(NODE, task.id, true))).toBe('not_found');
    await tasks.dispatch(task.id);
    expect(await failure(tasks.needsInput(newId('node'), task.id, true))).toBe('not_found');
    expect((await tasks.needsInput(NODE, task.id, true)).status).toBe('needs_input');
    // Said twice (a retried report): the same answer.
    expect((await tasks.needsInput(NODE, task.id, true)).status).toBe('needs_input');
    // It still holds its workspace: another task for it waits.
    const other = (await tasks.submit(alice, { projectId: PROJECT, prompt: 'shared meanwhile' })).task;
    expect((await tasks.dispatch(other.id)).started).toBe(false);
    // A follow-up reaches its agent; its permission requests are the node's to list and answer.
    await tasks.message(alice, task.id, 'also this');
    expect(agents.sent).toContainEqual([task.id, 'also this']);
    expect(await tasks.answer(alice, task.id, 'r1', 'yes')).toEqual({ requestId: 'r1', optionId: 'yes' });
    expect(await failure(tasks.answer(bob, task.id, 'r1', 'yes'))).toBe('not_found');
    expect(await failure(tasks.permissions(bob, task.id))).toBe('not_found');
    expect((await tasks.needsInput(NODE, task.id, false)).status).toBe('running');
    await tasks.needsInput(NODE, task.id, true);
    expect((await tasks.report(NODE, task.id, { status: 'completed', outcome: {} })).status).toBe(
      'completed',
    );
    expect(await failure(tasks.needsInput(NODE, task.id, false))).toBe('illegal_transition');
    expect(await failure(tasks.answer(alice, task.id, 'r1', 'yes'))).toBe('conflict');
    expect((await tasks.dispatch(other.id)).started).toBe(true);
    await tasks.report(NODE, other.id, { status: 'completed', outcome: {} });
  });

  it('takes over a task a dead dispatcher left placing: requeued without a workspace, started on its reserved one', async () => {
    const dead = async (prompt: string, reserve: boolean) => {
      const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt });
      const ws = wsOf(task.id);
      if (reserve)
        await seedRows(clients[0] as Client, {
          users: [alice.userId],
          projects: [PROJECT],
          workspaces: [ws],
        });
      await clients[0]?.execute({
        sql: `UPDATE tasks SET status = 'placing', dispatch_id = 'dead', updated_at = ?,
                workspace_id = ?, node_id = ? WHERE id = ?`,
        args: [clock.now(), reserve ? ws : null, reserve ? NODE : null, task.id],
      });
      return task;
    };
    const reserved = await dead('died after reserving', true);
    const unreserved = await dead('died while placing', false);
    // Not stale yet: nobody takes it over.
    expect((await tasks.recover(reserved.id, 60_000)).started).toBe(false);
    expect((await tasks.get(alice, reserved.id)).status).toBe('placing');
    clock.advance(61_000);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (services[i % 2] as TaskService).recover(reserved.id, 60_000)),
    );
    expect(results.filter((r) => r.started)).toHaveLength(1);
    expect(agents.started.filter((id) => id === reserved.id)).toHaveLength(1);
    expect(await tasks.get(alice, reserved.id)).toMatchObject({
      status: 'running',
      workspaceId: wsOf(reserved.id),
      agentSessionId: `session-${reserved.id}`,
    });
    const back = await tasks.recover(unreserved.id, 60_000);
    expect(back).toMatchObject({
      started: false,
      task: { status: 'queued', workspaceId: null, dispatchId: null },
    });
    expect((await tasks.dispatch(unreserved.id)).started).toBe(true);
  });

  it('opens a pull request for pushed changes before the task ends; a follow-up continues the branch and updates it', async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'change a file' });
    await tasks.dispatch(task.id);
    const branch = `warren/task-${task.id}`;
    const first = 'a'.repeat(40);
    const done = await tasks.report(NODE, task.id, {
      status: 'completed',
      outcome: { stopReason: 'end_turn' },
      summary: 'changed it',
      git: { branch, commit: first, base: 'main' },
    });
    expect(done).toMatchObject({
      status: 'completed',
      branch,
      commitSha: first,
      baseBranch: 'main',
      pullRequestUrl: 'https://github.com/acme/app/pull/7',
      pullRequestNumber: 7,
    });
    expect(published.filter((p) => p.task === task.id)).toEqual([
      { task: task.id, number: null, branch, base: 'main', summary: 'changed it' },
    ]);

    // The follow-up reopens it and is the next turn's prompt, on the same workspace.
    const m = await tasks.message(alice, task.id, 'and the tests too');
    expect(m.deliveredAt).toBeNull();
    expect(await tasks.get(alice, task.id)).toMatchObject({ status: 'queued', endedAt: null });
    expect((await tasks.dispatch(task.id)).task).toMatchObject({
      status: 'running',
      workspaceId: wsOf(task.id),
    });
    expect(agents.prompts.filter(([id]) => id === task.id).map(([, p]) => p)).toEqual([
      'change a file',
      'and the tests too',
    ]);
    expect((await tasks.messages(alice, task.id)).every((x) => x.deliveredAt !== null)).toBe(true);
    expect(agents.sent.filter(([id]) => id === task.id)).toEqual([]);
    const second = 'b'.repeat(40);
    const again = await tasks.report(NODE, task.id, {
      status: 'completed',
      outcome: {},
      summary: 'tests too',
      git: { branch, commit: second },
    });
    expect(again).toMatchObject({
      status: 'completed',
      commitSha: second,
      baseBranch: 'main',
      pullRequestNumber: 7,
    });
    expect(published.filter((p) => p.task === task.id).at(-1)).toEqual({
      task: task.id,
      number: 7,
      branch,
      base: 'main',
      summary: 'tests too',
    });
  });

  it("refuses a report whose changes are on another branch than the task's, and opens no pull request for it", async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'push elsewhere' });
    await tasks.dispatch(task.id);
    const before = published.length;
    for (const branch of ['main', 'warren/task-tk00000000000000000000', `warren/task-${task.id}-x`]) {
      expect(
        await failure(
          tasks.report(NODE, task.id, {
            status: 'completed',
            outcome: {},
            git: { branch, commit: 'd'.repeat(40) },
          }),
        ),
      ).toBe('invalid_request');
    }
    expect(published.length).toBe(before);
    expect((await tasks.get(alice, task.id)).status).toBe('running');
  });

  it('takes no follow-up on a task that never ran', async () => {
    const { task } = await tasks.submit(alice, { projectId: PROJECT, prompt: 'never placed' });
    await clients[0]?.execute({
      sql: "UPDATE tasks SET status = 'failed', ended_at = 1 WHERE id = ?",
      args: [task.id],
    });
    expect(await failure(tasks.message(alice, task.id, 'again?'))).toBe('illegal_transition');
  });

  it('lists tasks in one state', async () => {
    const running = await tasks.list(alice, { status: 'running' });
    expect(running.length).toBeGreaterThan(0);
    expect(running.every((t) => t.status === 'running')).toBe(true);
    const all = await tasks.list(alice);
    expect(all.some((t) => t.status !== 'running')).toBe(true);
  });

  it('moves only along the transition table', () => {
    // A cancelled task is over; a completed or failed one may only be reopened by a follow-up.
    expect(TASK_TRANSITIONS.cancelled).toEqual([]);
    for (const s of ['completed', 'failed'] as TaskStatus[]) expect(TASK_TRANSITIONS[s]).toEqual(['queued']);
    expect(TASK_TRANSITIONS.queued).not.toContain('running');
    expect(TASK_TRANSITIONS.queued).not.toContain('completed');
  });
});
