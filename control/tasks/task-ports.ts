// What the task service offers and what it plugs into: the actor, placement, the node's agents, and the errors
// placement raises.
import type {
  AgentPermissionRequest,
  PermissionAnswered,
  TaskCreate,
  TaskReport,
  TaskStatus,
} from '../../contract/index.ts';
import type { TaskRow } from './task-tables.ts';

/** Who acts on tasks: a user sees their own tasks, an admin all. */
export interface TaskActor {
  userId: string;
  admin: boolean;
}

/** Where a task runs. */
export interface TaskWhere {
  workspaceId: string;
  nodeId: string;
}

/** Finds a warm workspace for a task. Throw with `retryable: true` to leave the task queued for later. */
export interface TaskPlacement {
  place(task: TaskRow): Promise<TaskWhere>;
}

/** Talks to the agent bridge on the hosting node (over HTTP; the lead wires it). */
export interface TaskAgents {
  /** Starts the task's turn with `prompt` (its prompt, or the follow-up that reopened it); returns the session id. */
  start(task: TaskRow, where: TaskWhere, prompt: string): Promise<{ agentSessionId: string }>;
  /** Sends a follow-up prompt to the task's running session. */
  send(task: TaskRow, text: string): Promise<void>;
  /** Cancels the running turn and stops the task's agent process. */
  stop(task: TaskRow): Promise<void>;
  /** The task's permission requests waiting for a person on its node. */
  permissions(task: TaskRow): Promise<AgentPermissionRequest[]>;
  /** Answers one; the node's refusal (404 unknown, 400 not an option, 409 answered) as a ControlError. */
  answer(task: TaskRow, requestId: string, optionId: string): Promise<PermissionAnswered>;
}

export interface TaskMessageRow {
  id: string;
  taskId: string;
  text: string;
  createdAt: number;
  deliveredAt: number | null;
}

export interface TaskService {
  /** A new queued task, or the one an earlier submission with the same key made (`created: false`). */
  submit(actor: TaskActor, input: TaskCreate): Promise<{ task: TaskRow; created: boolean }>;
  /** The task if `actor` may see it, else 404. */
  get(actor: TaskActor, id: string): Promise<TaskRow>;
  /** The actor's tasks, newest first; `q` searches prompts and summaries, `status` keeps one state. */
  list(actor: TaskActor, options?: { q?: string; status?: TaskStatus }): Promise<TaskRow[]>;
  /** Claims a queued task and starts it; `started: false` when another dispatch owns it (or owned it). */
  dispatch(id: string): Promise<{ task: TaskRow; started: boolean }>;
  /**
   * Takes over a task left `placing` for longer than `staleMs` (its dispatcher died): back to `queued` when no
   * workspace was reserved, else started on the reserved one (the node answers a start it already has with the
   * same session). `started: false` when it was not stale or another recovery took it.
   */
  recover(id: string, staleMs: number): Promise<{ task: TaskRow | undefined; started: boolean }>;
  /**
   * Records a follow-up; sent to the agent now if running, else when it starts. A completed or failed task is
   * reopened by it (queued again, for the workspace it worked in: same checkout, same branch and pull request);
   * a cancelled one is a 409.
   */
  message(actor: TaskActor, id: string, text: string): Promise<TaskMessageRow>;
  messages(actor: TaskActor, id: string): Promise<TaskMessageRow[]>;
  /** Cancels a task that has not ended (stopping its agent if it runs); 409 once it ended. */
  cancel(actor: TaskActor, id: string): Promise<TaskRow>;
  /** The node a task runs on, if any (to authenticate its report). */
  nodeOf(id: string): Promise<string | undefined>;
  /**
   * The hosting node reports the end of a running task; 404 for a task that is not that node's. With pushed
   * changes, the task's pull request is opened (or updated) before the task ends, so it ends with its URL.
   */
  report(nodeId: string, id: string, report: TaskReport): Promise<TaskRow>;
  /** The hosting node says the task waits on a person (`needs_input`) or no longer does (`running`). */
  needsInput(nodeId: string, id: string, needsInput: boolean): Promise<TaskRow>;
  /** The permission requests of a task `actor` may see (none unless it runs). */
  permissions(actor: TaskActor, id: string): Promise<AgentPermissionRequest[]>;
  /** Answers a permission request of a task `actor` may see. */
  answer(actor: TaskActor, id: string, requestId: string, optionId: string): Promise<PermissionAnswered>;
}

export class TaskPlacementError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'TaskPlacementError';
  }
}

/** The branch a task's changes are pushed to (the node's `taskBranch` names the same). */
export const taskBranch = (taskId: string) => `warren/task-${taskId}`;
