// Tasks on a real agent session with the fixture agent: one report per task (retried until delivered), follow-ups,
// cancel without a report, one task per workspace, and the journal that survives a node restart.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskReport } from '../../contract/index.ts';
import { eventually } from '../testing/index.ts';
import { type AgentSession, createAgentSession } from './agent-session.ts';
import { defaultAgentSupervisorConfig } from './agent-supervisor.ts';
import { AgentTaskError, type AgentTasks, createAgentTasks } from './agent-tasks.ts';
import { memoryTaskJournal } from './task-journal.ts';
import { fixtureAgentCommand } from './testing/index.ts';
import { openTranscriptStore, type TranscriptStore } from './transcript-store.ts';

const W = 'wsaaaaaaaaaaaaaaaaaaaa';
let dir: string;
let store: TranscriptStore;
let session: AgentSession | undefined;
let stops = 0;
const reports: [string, TaskReport][] = [];
let refuseNext = 0;
const journal = memoryTaskJournal();
let tasks: AgentTasks;

const sessionFor = () => {
  session ??= createAgentSession({
    sessionId: W,
    store,
    command: fixtureAgentCommand(dir),
    config: defaultAgentSupervisorConfig(),
  });
  return session;
};

/** A session of its own, started on first use (a restarted node's). */
function ownSession(sessionId: string) {
  let s: AgentSession | undefined;
  return {
    get() {
      s ??= createAgentSession({
        sessionId,
        store,
        command: fixtureAgentCommand(dir),
        config: defaultAgentSupervisorConfig(),
      });
      return s;
    },
    close: async () => s?.close(),
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warren-agent-tasks-'));
  store = await openTranscriptStore(join(dir, 't.db'));
  tasks = createAgentTasks({
    sessionFor: (id) => (id === W ? sessionFor() : undefined),
    async stopAgent() {
      stops++;
      const s = session;
      session = undefined;
      await s?.close();
    },
    async report(taskId, report) {
      if (refuseNext > 0) {
        refuseNext--;
        return 'retry';
      }
      reports.push([taskId, report]);
      return 'done';
    },
    backoff: { initialMs: 5, maxMs: 20, factor: 2 },
    journal,
  });
});

afterAll(async () => {
  await session?.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const reportsOf = (id: string) => reports.filter(([t]) => t === id).map(([, r]) => r);

describe('Agent tasks', () => {
  it('reports a task once when its turns have ended, retrying until the control plane takes it', async () => {
    refuseNext = 2;
    expect(await tasks.start(W, 'task-1', 'do the thing')).toEqual({ agentSessionId: W });
    // A retried dispatch gets the same answer and sends no second prompt.
    expect(await tasks.start(W, 'task-1', 'do the thing')).toEqual({ agentSessionId: W });
    expect(journal.entries.map((e) => e.taskId)).toEqual(['task-1']);
    await eventually(() => reportsOf('task-1').length === 1, 'the report');
    expect(reportsOf('task-1')[0]).toEqual({
      status: 'completed',
      outcome: { stopReason: 'end_turn' },
      summary: 'echo: do the thing',
    });
    expect(journal.entries).toEqual([]);
    const prompts = (await store.after(W, 0)).filter((e) => e.data.kind === 'prompt');
    expect(prompts).toHaveLength(1);
  });

  it('runs follow-ups before reporting, holds one task per workspace, and refuses calls for other tasks', async () => {
    await tasks.start(W, 'task-2', '/slow 40 a b c d e');
    await expect(tasks.start(W, 'task-3', 'me too')).rejects.toBeInstanceOf(AgentTaskError);
    await expect(tasks.message(W, 'task-3', 'not mine')).rejects.toBeInstanceOf(AgentTaskError);
    await tasks.message(W, 'task-2', 'the follow-up');
    await eventually(() => reportsOf('task-2').length === 1, 'the report');
    expect(reportsOf('task-2')[0]?.summary).toBe('echo: the follow-up');
    await expect(tasks.message(W, 'task-2', 'too late')).rejects.toMatchObject({ code: 'conflict' });
    await expect(tasks.start('wsbbbbbbbbbbbbbbbbbbbb', 'task-4', 'x')).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('cancels without a report and stops the agent', async () => {
    await tasks.start(W, 'task-5', '/slow 50 a b c d e f g h i j k l');
    await tasks.cancel(W, 'task-5');
    expect(stops).toBe(1);
    expect(tasks.active(W)).toBeUndefined();
    expect(journal.entries).toEqual([]);
    // Let anything late surface: another task's report comes after, task-5's never.
    await tasks.start(W, 'task-6', 'after the cancel');
    await eventually(() => reportsOf('task-6').length === 1, 'the next report');
    expect(reportsOf('task-5')).toEqual([]);
  });

  it('after a restart, fails the tasks the previous run left running and sends the reports it had not sent', async () => {
    const sent: [string, TaskReport][] = [];
    const left = memoryTaskJournal([
      { taskId: 'was-running', workspaceId: W },
      { taskId: 'was-done', workspaceId: W, report: { status: 'completed', outcome: {}, summary: 'ok' } },
    ]);
    createAgentTasks({
      sessionFor: () => undefined,
      stopAgent: async () => {},
      async report(taskId, report) {
        sent.push([taskId, report]);
        return 'done';
      },
      journal: left,
    });
    await eventually(() => sent.length === 2 && left.entries.length === 0, 'both reports');
    expect(Object.fromEntries(sent)).toEqual({
      'was-running': {
        status: 'failed',
        outcome: { error: { code: 'agent_unavailable', message: 'the node restarted while the task ran' } },
      },
      'was-done': { status: 'completed', outcome: {}, summary: 'ok' },
    });
  });

  it('keeps a task that waits on a person across a restart, and ends it with the turn its answer resumes', async () => {
    const sent: [string, TaskReport][] = [];
    const left = memoryTaskJournal([{ taskId: 'was-asking', workspaceId: W }]);
    const own = ownSession(`${W}-resumed`);
    const restarted = createAgentTasks({
      sessionFor: (id) => (id === W ? own.get() : undefined),
      stopAgent: async () => {},
      async report(taskId, report) {
        sent.push([taskId, report]);
        return 'done';
      },
      journal: left,
      waiting: () => new Set(['was-asking']),
    });
    expect(restarted.active(W)).toBe('was-asking');
    expect(left.entries).toEqual([{ taskId: 'was-asking', workspaceId: W }]);
    await restarted.resume(W, 'was-asking', 'resumed work');
    await eventually(() => sent.length === 1, 'the report of the resumed turn');
    expect(sent[0]).toMatchObject(['was-asking', { status: 'completed', summary: 'echo: resumed work' }]);
    await own.close();
  });

  it('does not end a task waiting on a person when the node stops', async () => {
    const sent: string[] = [];
    const kept = memoryTaskJournal();
    const own = ownSession(`${W}-stopping`);
    const stopping = createAgentTasks({
      sessionFor: () => own.get(),
      stopAgent: async () => {},
      async report(taskId) {
        sent.push(taskId);
        return 'done';
      },
      journal: kept,
      waiting: () => new Set(['asking']),
    });
    await stopping.start(W, 'asking', '/hang');
    stopping.stop();
    await own.close();
    expect(sent).toEqual([]);
    expect(kept.entries).toEqual([{ taskId: 'asking', workspaceId: W }]);
  });
});
