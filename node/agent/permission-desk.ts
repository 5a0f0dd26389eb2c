// The node's agent permission requests waiting on a person: raised by an agent's turn, answered from the chat, the
// control plane's task API or the CLI, kept in `<dataDir>/agent-permissions.json` so a node restart does not lose
// them, and flagged `needs_input` to the control plane when a task's request waits past a threshold.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import {
  type AgentPermissionRequest,
  type PERMISSION_ANSWERERS,
  PermissionOption,
  type PermissionPolicy,
  PermissionToolCall,
} from '../../contract/index.ts';

export const PERMISSION_FILE = 'agent-permissions.json';

/** A request the desk refuses to answer: unknown here (404), not one of its options (400), answered (409). */
export class PermissionError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid_request' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'PermissionError';
  }
}

const Entry = v.object({
  id: v.string(),
  workspaceId: v.string(),
  taskId: v.nullable(v.string()),
  promptId: v.nullable(v.string()),
  /** The prompt of the turn that asked: sent again to a restarted agent once answered. */
  prompt: v.string(),
  toolCall: PermissionToolCall,
  options: v.array(PermissionOption),
  createdAt: v.number(),
  /** True once no agent process waits for it (the node restarted): an answer resumes its prompt. */
  resumed: v.boolean(),
  /** A resumed request's answer, kept until the restarted agent asks again. */
  answer: v.optional(v.string()),
  /** The control plane was told the task needs input. */
  flagged: v.optional(v.boolean()),
});
type Entry = v.InferOutput<typeof Entry>;

export type PermissionAnswerer = (typeof PERMISSION_ANSWERERS)[number];

/** What a turn's agent asks. */
export interface PermissionAskInput {
  workspaceId: string;
  taskId: string | null;
  promptId: string | null;
  prompt: string;
  toolCall: v.InferOutput<typeof PermissionToolCall>;
  options: v.InferOutput<typeof PermissionOption>[];
  policy: PermissionPolicy;
}

export interface PermissionDeskOptions {
  /** Where requests outlive the process; absent: in memory only (tests). */
  dataDir?: string;
  /** A task's request waits this long before the control plane hears it needs input. */
  needsInputAfterMs: number;
  /** A request was raised (to show it in the transcript). */
  onRequested?(entry: AgentPermissionRequest): void;
  /** A request was settled: the option the agent gets (null: withdrawn, the agent gets `cancelled`). */
  onSettled?(entry: AgentPermissionRequest, optionId: string | null, by: PermissionAnswerer): void;
  /** A task's request crossed the threshold (`true`), or the flagged one was settled (`false`). */
  onNeedsInput?(taskId: string, needsInput: boolean): void;
  /** A resumed request was answered: send its prompt to the workspace's (restarted) agent. */
  onResume?(entry: AgentPermissionRequest & { prompt: string }): void;
  now?: () => number;
}

export interface PermissionDesk {
  /**
   * An agent's request: settled at once by the `allow` policy or by a resumed request's answer, else kept until a
   * person answers or it is withdrawn. Resolves with the chosen optionId, or null (withdrawn).
   */
  ask(input: PermissionAskInput): Promise<string | null>;
  /** Waiting requests of a workspace (of one task when `taskId` is given), oldest first. */
  pending(workspaceId: string, taskId?: string): AgentPermissionRequest[];
  /** A person's answer; throws PermissionError. A request of another workspace or task is unknown (404). */
  answer(
    workspaceId: string,
    requestId: string,
    optionId: string,
    taskId?: string,
  ): { requestId: string; optionId: string };
  /** Withdraws a turn's waiting requests (its turn ended or was cancelled): their agents get `cancelled`. */
  withdraw(workspaceId: string, promptId: string): void;
  /** Points a resumed request at the prompt sent again for it (so its turn's end withdraws it). */
  rebind(requestId: string, promptId: string): void;
  /** Task ids with a waiting request (a restarted node keeps these tasks instead of failing them). */
  waitingTasks(): Set<string>;
  /** The node is stopping: requests stay on disk for the next start and nothing settles them now. */
  hold(): void;
  /**
   * Resumes again the requests answered before the last restart whose restarted agent had not asked yet (the
   * node stopped in between); call once the node can prompt agents.
   */
  resumeAnswered(): void;
}

/** Answers kept to tell "already answered" (409) from "unknown" (404). */
const ANSWERED_KEPT = 1000;

const allowOf = (options: PermissionAskInput['options']) =>
  options.find((o) => o.kind === 'allow_once') ?? options.find((o) => o.kind === 'allow_always');

/** The same request asked again by a restarted agent: the same option ids and the same tool call title. */
const sameAsk = (e: Entry, input: PermissionAskInput) =>
  e.workspaceId === input.workspaceId &&
  e.toolCall.title === input.toolCall.title &&
  e.options.map((o) => o.optionId).join('\0') === input.options.map((o) => o.optionId).join('\0');

export function createPermissionDesk(options: PermissionDeskOptions): PermissionDesk {
  const now = options.now ?? Date.now;
  const path = options.dataDir ? join(options.dataDir, PERMISSION_FILE) : undefined;
  const entries = new Map<string, Entry>();
  const waiters = new Map<string, (optionId: string | null) => void>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const answered = new Map<string, string>();
  let held = false;

  const save = () => {
    if (!path || held) return;
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, JSON.stringify([...entries.values()]), { mode: 0o600 });
    renameSync(tmp, path);
  };
  const view = (e: Entry): AgentPermissionRequest => ({
    id: e.id,
    workspaceId: e.workspaceId,
    taskId: e.taskId,
    promptId: e.promptId,
    toolCall: e.toolCall,
    options: e.options,
    createdAt: new Date(e.createdAt).toISOString(),
    resumed: e.resumed,
  });
  const arm = (e: Entry) => {
    if (!e.taskId || e.flagged || e.answer !== undefined) return;
    const taskId = e.taskId;
    const timer = setTimeout(
      () => {
        timers.delete(e.id);
        if (held || entries.get(e.id) !== e) return;
        e.flagged = true;
        save();
        options.onNeedsInput?.(taskId, true);
      },
      Math.max(0, e.createdAt + options.needsInputAfterMs - now()),
    );
    timers.set(e.id, timer);
  };
  const remember = (id: string, optionId: string) => {
    answered.set(id, optionId);
    if (answered.size > ANSWERED_KEPT) answered.delete(answered.keys().next().value as string);
  };
  /** Removes `e`, tells the transcript and (if it was flagged, and no other request of its task is) the task. */
  const settle = (e: Entry, optionId: string | null, by: PermissionAnswerer) => {
    entries.delete(e.id);
    clearTimeout(timers.get(e.id));
    timers.delete(e.id);
    if (optionId !== null) remember(e.id, optionId);
    save();
    options.onSettled?.(view(e), optionId, by);
    const still = [...entries.values()].some((o) => o.taskId === e.taskId && o.flagged);
    if (e.taskId && e.flagged && !still) options.onNeedsInput?.(e.taskId, false);
  };

  // A previous run's requests: their agents are gone, so each is resumed when answered.
  if (path && existsSync(path)) {
    try {
      const r = v.safeParse(v.array(Entry), JSON.parse(readFileSync(path, 'utf8')));
      for (const e of r.success ? r.output : []) {
        entries.set(e.id, { ...e, resumed: true });
        arm(entries.get(e.id) as Entry);
      }
    } catch {
      // An unreadable file holds nothing we can offer; the tasks it held fail as the node restarted.
    }
    save();
  }

  const find = (workspaceId: string, requestId: string, taskId?: string) => {
    const e = entries.get(requestId);
    if (e && e.workspaceId === workspaceId && (taskId === undefined || e.taskId === taskId)) return e;
    return undefined;
  };

  return {
    ask(input) {
      const allow = input.policy === 'allow' ? allowOf(input.options) : undefined;
      const resumed = [...entries.values()].find((e) => e.answer !== undefined && sameAsk(e, input));
      const e: Entry = resumed ?? {
        id: crypto.randomUUID(),
        workspaceId: input.workspaceId,
        taskId: input.taskId,
        promptId: input.promptId,
        prompt: input.prompt,
        toolCall: input.toolCall,
        options: input.options,
        createdAt: now(),
        resumed: false,
      };
      if (resumed?.answer !== undefined) {
        // Its answer reached the transcript and the task when the person gave it; now it reaches the agent.
        const optionId = resumed.answer;
        entries.delete(resumed.id);
        remember(resumed.id, optionId);
        save();
        return Promise.resolve(optionId);
      }
      options.onRequested?.(view(e));
      if (allow) {
        options.onSettled?.(view(e), allow.optionId, 'policy');
        return Promise.resolve(allow.optionId);
      }
      entries.set(e.id, e);
      save();
      arm(e);
      return new Promise((resolve) => waiters.set(e.id, resolve));
    },
    pending(workspaceId, taskId) {
      return [...entries.values()]
        .filter(
          (e) =>
            e.workspaceId === workspaceId &&
            e.answer === undefined &&
            (taskId === undefined || e.taskId === taskId),
        )
        .map(view);
    },
    answer(workspaceId, requestId, optionId, taskId) {
      const e = find(workspaceId, requestId, taskId);
      if (!e) {
        if (answered.has(requestId) && !entries.has(requestId))
          throw new PermissionError('conflict', 'this permission request was answered already');
        throw new PermissionError('not_found', 'permission request not found');
      }
      if (e.answer !== undefined)
        throw new PermissionError('conflict', 'this permission request was answered already');
      if (!e.options.some((o) => o.optionId === optionId))
        throw new PermissionError('invalid_request', 'optionId is not one of the request’s options');
      const waiter = waiters.get(e.id);
      if (waiter) {
        waiters.delete(e.id);
        settle(e, optionId, 'person');
        waiter(optionId);
        return { requestId, optionId };
      }
      // No agent waits (the node restarted): keep the answer for the restarted agent's same request.
      e.answer = optionId;
      clearTimeout(timers.get(e.id));
      save();
      options.onSettled?.(view(e), optionId, 'person');
      if (e.taskId && e.flagged) options.onNeedsInput?.(e.taskId, false);
      options.onResume?.({ ...view(e), prompt: e.prompt });
      return { requestId, optionId };
    },
    withdraw(workspaceId, promptId) {
      if (held) return;
      for (const e of [...entries.values()]) {
        if (e.workspaceId !== workspaceId || e.promptId !== promptId) continue;
        const waiter = waiters.get(e.id);
        waiters.delete(e.id);
        // An answered resumed request was settled for the transcript already.
        if (e.answer !== undefined) {
          entries.delete(e.id);
          remember(e.id, e.answer);
          save();
        } else settle(e, null, 'withdrawn');
        waiter?.(null);
      }
    },
    rebind(requestId, promptId) {
      const e = entries.get(requestId);
      if (!e) return;
      e.promptId = promptId;
      save();
    },
    waitingTasks: () => new Set([...entries.values()].flatMap((e) => (e.taskId ? [e.taskId] : []))),
    resumeAnswered() {
      for (const e of entries.values())
        if (e.answer !== undefined) options.onResume?.({ ...view(e), prompt: e.prompt });
    },
    hold() {
      held = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
