// The node's agents wired to the rest of it: one agent session per running workspace that names an agent command
// (started when the workspace runs, stopped with it), the `/_agent` socket handlers, the control plane's tasks,
// agent events sent to the workspace's activity log on the control plane, and the agents' permission requests (asked
// of a person unless the project's policy allows them, kept across node restarts).
import type {
  AgentActivityReport,
  AgentEventData,
  TaskReport,
  TranscriptSearchResult,
  WorkspaceAssignment,
  WorkspaceRepository,
} from '../contract/index.ts';
import {
  type AgentHost,
  type AgentSession,
  type AgentSupervisorConfig,
  type AgentTasks,
  agentActivityOf,
  backoffDelay,
  createAgentHost,
  createAgentSocketHandler,
  createAgentTasks,
  createPermissionDesk,
  defaultBackoffConfig,
  fileTaskJournal,
  type PermissionDesk,
} from './agent/index.ts';
import { ControlError } from './control-link.ts';
import { createWorkspaceRepo, type WorkspaceLaunch } from './git/index.ts';
import type { AgentData, AgentSockets } from './proxy/index.ts';
import { type Runtime, runFingerprint } from './workspaces/index.ts';

export interface NodeAgentsOptions {
  dataDir: string;
  config: AgentSupervisorConfig;
  runtime: Runtime;
  /** The assignment of a workspace this node hosts (its agent command). */
  spec(workspaceId: string): WorkspaceAssignment | undefined;
  /** Runs the agent command line: `[shell, '-c', agentCommand]`. */
  shell: string;
  /** The control plane's node endpoints, called with the node certificate. */
  reportTask(taskId: string, report: TaskReport): Promise<void>;
  reportActivity(workspaceId: string, report: AgentActivityReport): Promise<void>;
  /** Tells the control plane a task waits on a person (or no longer does). */
  reportTaskInput(taskId: string, needsInput: boolean): Promise<void>;
  log(line: string): void;
}

export interface NodeAgents {
  readonly host: AgentHost;
  readonly tasks: AgentTasks;
  readonly sockets: AgentSockets;
  /** Permission requests waiting on a person, for the node API. */
  readonly permissions: PermissionDesk;
  /** The workspace's transcript turns matching every word of `q` (newest first, at most 50). */
  search(workspaceId: string, q: string): Promise<TranscriptSearchResult>;
  close(): Promise<void>;
}

/** Most agent events waiting for the control plane; past it the oldest are dropped (the transcript keeps them). */
const ACTIVITY_QUEUE_MAX = 1000;
const ENDED = new Set(['stopping', 'stopped', 'deleting', 'error']);
/** Tries at cloning a task workspace's repository before its agent counts as failed. */
const CLONE_ATTEMPTS = 3;

/** Lines of the agent's stderr quoted when it failed for good. */
const QUOTED_STDERR_LINES = 5;
const QUOTED_CHARS = 600;

export async function startNodeAgents(o: NodeAgentsOptions): Promise<NodeAgents> {
  const queue: { workspaceId: string; report: AgentActivityReport }[] = [];
  let draining = false;
  let closed = false;
  const drain = async () => {
    if (draining) return;
    draining = true;
    for (let attempt = 0; queue.length > 0 && !closed; ) {
      const next = queue[0]!;
      try {
        await o.reportActivity(next.workspaceId, next.report);
        queue.shift();
        attempt = 0;
      } catch (e) {
        // A refusal (the workspace is gone, or not ours any more) will not change: drop the event.
        if (e instanceof ControlError && !e.retryable) {
          queue.shift();
          continue;
        }
        await Bun.sleep(backoffDelay(defaultBackoffConfig(), attempt++));
      }
    }
    draining = false;
  };

  /** What each session was started with (runFingerprint): a changed spec restarts the agent. */
  const startedWith = new Map<string, string>();

  /** The agent's last words on stderr, for the degraded reason. */
  const lastWords = (workspaceId: string) => {
    const lines = o.runtime.logs
      .tail(workspaceId, 200, 'agent')
      .filter((l) => l.stream === 'stderr')
      .slice(-QUOTED_STDERR_LINES)
      .map((l) => l.text);
    let text = lines.join('\n');
    if (text.length > QUOTED_CHARS) text = `…${text.slice(-QUOTED_CHARS)}`;
    return text ? `\n${text}` : '';
  };

  /** Writes a permission event into the workspace's transcript (through its session, so subscribers see it). */
  const record = (workspaceId: string, data: AgentEventData) => {
    const s = host.get(workspaceId);
    void (s ? s.record(data) : host.store.append(workspaceId, data)).catch((e) =>
      o.log(`agent transcript write failed: ${(e as Error).message}`),
    );
  };
  /** The newest needs-input state per task; each change is sent (with backoff) until a newer one replaces it. */
  const inputState = new Map<string, boolean>();
  const sendInput = async (taskId: string, needsInput: boolean) => {
    inputState.set(taskId, needsInput);
    for (let attempt = 0; inputState.get(taskId) === needsInput && !closed && attempt < 20; attempt++) {
      try {
        await o.reportTaskInput(taskId, needsInput);
        break;
      } catch (e) {
        if (e instanceof ControlError && !e.retryable) break;
        await Bun.sleep(backoffDelay(defaultBackoffConfig(), attempt));
      }
    }
    if (inputState.get(taskId) === needsInput) inputState.delete(taskId);
  };
  const permissions = createPermissionDesk({
    dataDir: o.dataDir,
    needsInputAfterMs: o.config.needsInputAfterMs,
    onRequested: (r) =>
      record(r.workspaceId, {
        kind: 'permission_requested',
        requestId: r.id,
        promptId: r.promptId,
        toolCall: r.toolCall,
        options: r.options,
      }),
    onSettled: (r, optionId, by) =>
      record(r.workspaceId, { kind: 'permission_answered', requestId: r.id, optionId, by }),
    onNeedsInput: (taskId, needsInput) => void sendInput(taskId, needsInput),
    onResume(r) {
      // The agent that asked died with the previous run: its prompt goes to the restarted agent, whose same
      // request gets this answer at once (permission-desk.ts matches it).
      const resumed =
        r.taskId && tasks.active(r.workspaceId) === r.taskId
          ? tasks.resume(r.workspaceId, r.taskId, r.prompt)
          : Promise.resolve(sessionFor(r.workspaceId)).then(async (s) => {
              if (!s) throw new Error('the workspace runs no agent');
              return (await s.prompt(r.prompt)).promptId;
            });
      resumed.then(
        (promptId) => permissions.rebind(r.id, promptId),
        (e) => o.log(`resuming an answered permission request failed: ${(e as Error).message}`),
      );
    },
  });

  const host = await createAgentHost({
    dataDir: o.dataDir,
    config: o.config,
    permissions: (workspaceId) => ({
      ask: (r) =>
        permissions.ask({
          ...r,
          workspaceId,
          taskId: tasks.active(workspaceId) ?? null,
          policy: o.spec(workspaceId)?.agentPermissions ?? 'ask',
        }),
      withdraw: (promptId) => permissions.withdraw(workspaceId, promptId),
    }),
    onEvent(workspaceId, event) {
      // An agent that failed for good leaves its workspace running but degraded, saying why; ready again heals it.
      if (event.data.kind === 'agent_state') {
        o.runtime.agentState(workspaceId, event.data.state);
        if (event.data.state === 'failed')
          o.runtime.degrade(
            workspaceId,
            `agent failed: ${event.data.detail ?? 'it exited'}${lastWords(workspaceId)}`,
          );
        else if (event.data.state === 'ready') o.runtime.degrade(workspaceId, undefined);
      }
      const a = agentActivityOf(event);
      if (!a) return;
      queue.push({ workspaceId, report: { type: a.type, message: a.message.slice(0, 2000) } });
      if (queue.length > ACTIVITY_QUEUE_MAX) queue.shift();
      void drain();
    },
  });

  const repo = createWorkspaceRepo({
    shell: o.shell,
    output: (workspaceId, text) => {
      const w = o.runtime.logs.writer(workspaceId, 'agent', 'stderr');
      w.write(new TextEncoder().encode(text));
      w.end();
    },
  });
  const launcher =
    (workspaceId: string): WorkspaceLaunch =>
    (argv) =>
      o.runtime.spawn(workspaceId, { argv, purpose: 'git', stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  /** Clones of this run by workspace: true once the checkout is there (the agent may start). */
  const clones = new Map<string, Promise<boolean>>();
  const cloned = new Set<string>();
  /** Clones the workspace's repository (once per run) and starts its agent after; the agent fails without it. */
  const cloneThenStart = (workspaceId: string, repository: WorkspaceRepository) => {
    if (clones.has(workspaceId)) return;
    const done = (async () => {
      // Three tries, jittered: the control plane or GitHub may be briefly away while the workspace starts.
      for (let attempt = 0; attempt < CLONE_ATTEMPTS; attempt++) {
        if (o.runtime.get(workspaceId)?.status !== 'running') return false;
        if (await repo.clone(workspaceId, launcher(workspaceId), repository).catch(() => false)) return true;
        await Bun.sleep(backoffDelay(defaultBackoffConfig(), attempt + 2));
      }
      return false;
    })();
    clones.set(workspaceId, done);
    void done.then((ok) => {
      if (clones.get(workspaceId) !== done) return;
      if (ok) {
        cloned.add(workspaceId);
        sessionFor(workspaceId);
        return;
      }
      if (o.runtime.get(workspaceId)?.status !== 'running') return clones.delete(workspaceId);
      o.runtime.degrade(workspaceId, `the repository could not be cloned${lastWords(workspaceId)}`);
      o.runtime.agentState(workspaceId, 'failed');
    });
  };

  /** The workspace's session, started if it runs and names an agent command; else undefined. */
  const sessionFor = (workspaceId: string): AgentSession | undefined => {
    const target = o.runtime.get(workspaceId);
    const spec = o.spec(workspaceId);
    const command = spec?.agentCommand;
    if (target?.status !== 'running' || !command || !spec) return host.get(workspaceId);
    const repository = spec.repository ?? undefined;
    // The agent works on the repository: it starts once the checkout is there, in its folder.
    if (repository && !cloned.has(workspaceId)) {
      cloneThenStart(workspaceId, repository);
      return host.get(workspaceId);
    }
    if (!host.get(workspaceId)) startedWith.set(workspaceId, runFingerprint(spec));
    const home = target.env.HOME ?? target.dir;
    return host.ensure(workspaceId, {
      argv: repository
        ? [o.shell, '-c', `cd -- "$1" && exec ${o.shell} -c "$2"`, 'warren-agent', repository.dir, command]
        : [o.shell, '-c', command],
      cwd: repository ? `${home}/${repository.dir}` : home,
      env: {},
      launch: (request) => o.runtime.spawn(workspaceId, request),
      output: {
        stdout: o.runtime.logs.writer(workspaceId, 'agent', 'stdout'),
        stderr: o.runtime.logs.writer(workspaceId, 'agent', 'stderr'),
      },
    });
  };

  const stop = (workspaceId: string) => {
    startedWith.delete(workspaceId);
    clones.delete(workspaceId);
    cloned.delete(workspaceId);
    return host.remove(workspaceId).catch((e) => o.log(`agent stop failed: ${(e as Error).message}`));
  };

  /** The status each workspace last reported: a report that changes only its agent state moves no agent. */
  const lastStatus = new Map<string, string>();
  o.runtime.onChange((report) => {
    const before = lastStatus.get(report.id);
    lastStatus.set(report.id, report.status);
    const spec = o.spec(report.id);
    const stale = host.get(report.id) && spec && startedWith.get(report.id) !== runFingerprint(spec);
    // The workspace was edited (or retried): its agent starts again with the new command and environment.
    if (stale) void stop(report.id).then(() => sessionFor(report.id));
    // Its agent's own state changed (say, stopped for a cancelled task): that starts nothing again.
    else if (report.status === before) return;
    else if (report.status === 'running') sessionFor(report.id);
    else if (ENDED.has(report.status) && (host.get(report.id) || clones.has(report.id))) void stop(report.id);
  });

  const tasks = createAgentTasks({
    sessionFor,
    // The cancelled task's agent goes with everything it started; a fresh one starts for the workspace's next
    // task or chat, so a cancel does not leave the workspace without a ready agent.
    async stopAgent(workspaceId) {
      await host.remove(workspaceId);
      sessionFor(workspaceId);
    },
    async publish(workspaceId, input) {
      const dir = o.spec(workspaceId)?.repository?.dir;
      if (!dir) return undefined;
      return repo.publish(workspaceId, launcher(workspaceId), { dir, ...input });
    },
    async report(taskId, report) {
      try {
        await o.reportTask(taskId, report);
        return 'done';
      } catch (e) {
        if (e instanceof ControlError && !e.retryable) {
          o.log(`task ${taskId}: the control plane refused its report (${e.message})`);
          return 'done';
        }
        throw e;
      }
    },
    journal: fileTaskJournal(o.dataDir),
    waiting: () => permissions.waitingTasks(),
    log: o.log,
  });

  // Answers given before a restart the restarted agent never got to: their prompts go out again.
  permissions.resumeAnswered();

  const sockets = createAgentSocketHandler<AgentData>({
    sessionFor,
    answer: (workspaceId, requestId, optionId) => void permissions.answer(workspaceId, requestId, optionId),
  });

  return {
    host,
    tasks,
    sockets,
    permissions,
    async search(workspaceId, q) {
      const hits = await host.store.search(q, { sessionId: workspaceId, limit: 50 });
      return { items: hits.map((h) => ({ promptId: h.promptId, snippet: h.snippet })) };
    },
    async close() {
      // Requests waiting on a person, and their tasks, outlive this run: nothing settles or ends them now.
      tasks.stop();
      permissions.hold();
      closed = true;
      await host.close();
    },
  };
}
