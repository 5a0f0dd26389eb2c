// The control plane's tasks on this node's agents: at most one per workspace, its turns (prompt and follow-ups)
// followed until they end, then its end reported to the control plane exactly once (retried with backoff).
import type { TaskGitResult, TaskReport } from '../../contract/index.ts';
import type { AgentSession, TurnOutcome } from './agent-session.ts';
import { type BackoffConfig, backoffDelay, defaultBackoffConfig } from './backoff.ts';
import type { TaskJournal, TaskJournalEntry } from './task-journal.ts';
import { taskReportOf } from './task-report.ts';

/** A task call this node refuses: `not_found` (no agent, unknown task) or `conflict` (busy, already ended). */
export class AgentTaskError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'AgentTaskError';
  }
}

export interface AgentTasksOptions {
  /** The workspace's agent session (started if needed); undefined when it runs no agent. */
  sessionFor(workspaceId: string): AgentSession | undefined;
  /** Stops the workspace's agent process (a cancelled task leaves no process behind). */
  stopAgent(workspaceId: string): Promise<void>;
  /**
   * After a task's turns completed: commits and pushes what changed in its workspace (the branch `branch`, with
   * `message`); undefined when nothing changed. A throw fails the task with the reason.
   */
  publish?(
    workspaceId: string,
    input: { taskId: string; branch: string; message: string },
  ): Promise<TaskGitResult | undefined>;
  /** Sends the report; resolve `retry` to try again later (control plane unreachable), `done` otherwise. */
  report(taskId: string, report: TaskReport): Promise<'done' | 'retry'>;
  /** 200 ms doubling to 30 s, jittered. */
  backoff?: BackoffConfig;
  /** 20 attempts (about 10 minutes at the cap) before a report is given up; the task then stays running. */
  maxReportAttempts?: number;
  /**
   * Where the tasks owing a report are kept across restarts. On creation, tasks a previous run left running are
   * reported failed (their turn died with that run) and unsent reports are sent.
   */
  journal?: TaskJournal;
  /**
   * Tasks whose agent waits on a person's permission answer. Such a task survives a node restart: it is not failed
   * when the node stops, and after the start it waits for its answer, which `resume` turns into its next turn.
   */
  waiting?(): Set<string>;
  log?(line: string): void;
}

export interface AgentTasks {
  /** Starts `taskId` on the workspace's agent; the same task again answers the same without a second prompt. */
  start(workspaceId: string, taskId: string, prompt: string): Promise<{ agentSessionId: string }>;
  /** A follow-up prompt for the running task. */
  message(workspaceId: string, taskId: string, text: string): Promise<void>;
  /** Cancels the task: its turn is cancelled and the agent process stopped; nothing is reported. */
  cancel(workspaceId: string, taskId: string): Promise<void>;
  /** The task running on a workspace, if any. */
  active(workspaceId: string): string | undefined;
  /**
   * Sends `text` again as the task's next turn (an answered permission request of an agent a node restart ended);
   * waits for the workspace's agent for up to `waitMs`. Resolves with the new prompt's id.
   */
  resume(workspaceId: string, taskId: string, text: string, waitMs?: number): Promise<string>;
  /** The node is stopping: tasks waiting on a person are kept for the next start instead of ended. */
  stop(): void;
}

interface Running {
  taskId: string;
  workspaceId: string;
  agentSessionId: string;
  outstanding: number;
  ended: boolean;
  /** The first line of the last prompt: the commit message. */
  title: string;
}

/** The branch a task's changes are pushed to. */
export const taskBranch = (taskId: string) => `warren/task-${taskId}`;

/** A commit subject from a prompt: its first non-empty line, at most 72 characters. */
function subjectOf(text: string): string {
  const line =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? 'Warren task';
  return line.length <= 72 ? line : `${line.slice(0, 71)}…`;
}

export function createAgentTasks(options: AgentTasksOptions): AgentTasks {
  const byWorkspace = new Map<string, Running>();
  const backoff = options.backoff ?? defaultBackoffConfig();
  const maxAttempts = options.maxReportAttempts ?? 20;
  /** Tasks owing a report, by task id (mirrored to the journal). */
  const owed = new Map<string, TaskJournalEntry>();
  const persist = () => options.journal?.save([...owed.values()]);

  const sendReport = async (taskId: string, report: TaskReport) => {
    await deliver(taskId, report);
    owed.delete(taskId);
    persist();
  };

  const deliver = async (taskId: string, report: TaskReport) => {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      let r: 'done' | 'retry' = 'retry';
      try {
        r = await options.report(taskId, report);
      } catch (e) {
        options.log?.(`task ${taskId} report failed: ${(e as Error).message}`);
      }
      if (r === 'done') return;
      await Bun.sleep(backoffDelay(backoff, attempt));
    }
    options.log?.(`task ${taskId}: gave up reporting its end`);
  };

  /** A completed task's changes, committed and pushed; a failure to push fails the task, saying why. */
  const published = async (t: Running, report: TaskReport): Promise<TaskReport> => {
    if (report.status !== 'completed' || !options.publish) return report;
    try {
      const git = await options.publish(t.workspaceId, {
        taskId: t.taskId,
        branch: taskBranch(t.taskId),
        message: t.title,
      });
      return git ? { ...report, git } : report;
    } catch (e) {
      const message = (e as Error).message.slice(0, 1000);
      options.log?.(`task ${t.taskId}: ${message}`);
      return { ...report, status: 'failed', outcome: { error: { code: 'push_failed', message } } };
    }
  };

  let stopping = false;
  const end = (t: Running, outcome: TurnOutcome) => {
    if (t.ended) return;
    // Its turn died with the stopping node while a person's answer was awaited: the next start resumes it.
    if (stopping && options.waiting?.().has(t.taskId)) return;
    t.ended = true;
    if (byWorkspace.get(t.workspaceId) === t) byWorkspace.delete(t.workspaceId);
    void published(t, taskReportOf(outcome)).then((report) => {
      // Cancelled while its changes were being pushed: the control plane decided the end itself.
      if (!owed.has(t.taskId)) return;
      owed.set(t.taskId, { taskId: t.taskId, workspaceId: t.workspaceId, report });
      persist();
      void sendReport(t.taskId, report);
    });
  };

  const waitingNow = options.waiting?.() ?? new Set<string>();
  for (const left of options.journal?.load() ?? []) {
    if (!left.report && waitingNow.has(left.taskId)) {
      owed.set(left.taskId, left);
      byWorkspace.set(left.workspaceId, {
        taskId: left.taskId,
        workspaceId: left.workspaceId,
        agentSessionId: left.workspaceId,
        outstanding: 0,
        ended: false,
        // Named again by the prompt its answer resumes (see prompt below).
        title: subjectOf(''),
      });
      continue;
    }
    const report: TaskReport = left.report ?? {
      status: 'failed',
      outcome: { error: { code: 'agent_unavailable', message: 'the node restarted while the task ran' } },
    };
    owed.set(left.taskId, { ...left, report });
    void sendReport(left.taskId, report);
  }
  persist();

  const prompt = async (session: AgentSession, t: Running, text: string) => {
    t.outstanding++;
    t.title = subjectOf(text);
    let done: Promise<TurnOutcome>;
    let promptId: string;
    try {
      ({ done, promptId } = await session.prompt(text));
    } catch {
      t.outstanding--;
      throw new AgentTaskError('not_found', 'the agent session is closed');
    }
    void done.then((outcome) => {
      t.outstanding--;
      // The task ends with its last turn, or with the first that did not end normally.
      if (t.outstanding === 0 || outcome.end.kind === 'turn_failed') end(t, outcome);
    });
    return promptId;
  };

  const find = (workspaceId: string, taskId: string) => {
    const t = byWorkspace.get(workspaceId);
    if (!t || t.taskId !== taskId) throw new AgentTaskError('conflict', 'the task is not running here');
    return t;
  };

  return {
    async start(workspaceId, taskId, text) {
      const current = byWorkspace.get(workspaceId);
      if (current?.taskId === taskId) return { agentSessionId: current.agentSessionId };
      if (current) throw new AgentTaskError('conflict', 'the workspace runs another task');
      const session = options.sessionFor(workspaceId);
      if (!session) throw new AgentTaskError('not_found', 'this workspace has no agent');
      const t: Running = {
        taskId,
        workspaceId,
        agentSessionId: session.sessionId,
        outstanding: 0,
        ended: false,
        title: subjectOf(text),
      };
      byWorkspace.set(workspaceId, t);
      owed.set(taskId, { taskId, workspaceId });
      persist();
      try {
        await prompt(session, t, text);
      } catch (e) {
        byWorkspace.delete(workspaceId);
        owed.delete(taskId);
        persist();
        throw e;
      }
      return { agentSessionId: t.agentSessionId };
    },
    async message(workspaceId, taskId, text) {
      const t = find(workspaceId, taskId);
      const session = options.sessionFor(workspaceId);
      if (!session) throw new AgentTaskError('conflict', 'the task is not running here');
      await prompt(session, t, text);
    },
    async cancel(workspaceId, taskId) {
      const t = byWorkspace.get(workspaceId);
      if (!t || t.taskId !== taskId) throw new AgentTaskError('not_found', 'the task is not running here');
      // Ended without a report: the control plane decided the end itself.
      t.ended = true;
      byWorkspace.delete(workspaceId);
      owed.delete(taskId);
      persist();
      // Stopping the agent ends its turn (the watchdog's terminal event) and leaves no process behind.
      await options.stopAgent(workspaceId);
    },
    active: (workspaceId) => byWorkspace.get(workspaceId)?.taskId,
    async resume(workspaceId, taskId, text, waitMs = 120_000) {
      const t = find(workspaceId, taskId);
      // After a restart the workspace (and its agent) may still be starting.
      const deadline = Date.now() + waitMs;
      for (let attempt = 0; ; attempt++) {
        const session = options.sessionFor(workspaceId);
        if (session) return prompt(session, t, text);
        if (Date.now() > deadline) {
          end(t, {
            promptId: '',
            end: {
              kind: 'turn_failed',
              promptId: '',
              code: 'agent_unavailable',
              message: 'the workspace did not run its agent again after the node restarted',
            },
            text: '',
          });
          throw new AgentTaskError('not_found', 'this workspace has no agent');
        }
        await Bun.sleep(backoffDelay(backoff, Math.min(attempt, 4)));
      }
    },
    stop() {
      stopping = true;
    },
  };
}
