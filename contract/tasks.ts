// Bodies of the task API (`/api/v1/tasks`) and of the activity log (`/api/v1/workspaces/{id}/activity`).
import * as v from 'valibot';
import { AGENT_PROMPT_MAX } from './agent.ts';
import { NodeId, ProjectId, TaskId, UserId, WorkspaceId } from './ids.ts';
import { TaskStatus } from './status.ts';

const Timestamp = v.string(); // ISO 8601
const Prompt = v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(AGENT_PROMPT_MAX));

/** How a task ended, as the node that ran it reported (or the control plane decided). */
export const TaskOutcome = v.object({
  stopReason: v.optional(v.string()),
  error: v.optional(v.object({ code: v.string(), message: v.string() })),
});
export type TaskOutcome = v.InferOutput<typeof TaskOutcome>;

export const Task = v.object({
  id: TaskId,
  projectId: ProjectId,
  ownerId: UserId,
  prompt: v.string(),
  status: TaskStatus,
  idempotencyKey: v.nullable(v.string()),
  /** The one workspace and agent session that own the task, once placed. */
  workspaceId: v.nullable(WorkspaceId),
  nodeId: v.nullable(NodeId),
  agentSessionId: v.nullable(v.string()),
  outcome: v.nullable(TaskOutcome),
  /** A short summary of the transcript, synced from the node when the task ends. */
  summary: v.nullable(v.string()),
  /** The branch `warren/task-<id>` the task's changes were pushed to; null until a turn changed files. */
  branch: v.nullable(v.string()),
  /** The commit last pushed to `branch`. */
  commit: v.nullable(v.string()),
  /** The pull request opened for `branch` (the same one across follow-ups). */
  pullRequestUrl: v.nullable(v.string()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  endedAt: v.nullable(Timestamp),
});
export type Task = v.InferOutput<typeof Task>;

export const TaskCreate = v.object({
  projectId: ProjectId,
  prompt: Prompt,
  /** A second submission with the same key (same user) returns the first task instead of a new one. */
  idempotencyKey: v.optional(
    v.pipe(v.string(), v.minLength(1), v.maxLength(255), v.regex(/^[\x21-\x7e]+$/, 'printable ASCII')),
  ),
});
export type TaskCreate = v.InferOutput<typeof TaskCreate>;

export const TaskMessageCreate = v.object({ text: Prompt });
export const TaskMessage = v.object({
  id: v.string(),
  taskId: TaskId,
  text: v.string(),
  createdAt: Timestamp,
});
export type TaskMessage = v.InferOutput<typeof TaskMessage>;

const GitRef = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(255),
  v.regex(/^[A-Za-z0-9._/-]+$/, 'a git ref name'),
);
/** A task's changes as its node committed and pushed them: the branch, its new commit and the branch it started from. */
export const TaskGitResult = v.object({
  branch: GitRef,
  commit: v.pipe(v.string(), v.regex(/^[0-9a-f]{40,64}$/, 'a commit id')),
  /** The branch the work started from (the pull request's base); absent when the branch existed already. */
  base: v.optional(GitRef),
});
export type TaskGitResult = v.InferOutput<typeof TaskGitResult>;

/** What the node that runs a task reports when the task's agent turn ends. */
export const TaskReport = v.object({
  status: v.picklist(['completed', 'failed', 'cancelled']),
  outcome: v.optional(TaskOutcome, {}),
  summary: v.optional(v.pipe(v.string(), v.maxLength(4000))),
  /** What the node committed and pushed after the turn, when the working tree changed. */
  git: v.optional(TaskGitResult),
});
export type TaskReport = v.InferOutput<typeof TaskReport>;

/** The hosting node says a task's agent has waited on a person longer than its threshold (or no longer does). */
export const TaskInputReport = v.object({ needsInput: v.boolean() });
export type TaskInputReport = v.InferOutput<typeof TaskInputReport>;

/** `POST /api/v1/tasks/{id}/permissions/{requestId}`. */
export const TaskPermissionParams = v.object({
  id: TaskId,
  requestId: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
});
/** The answer as the agent received it (or will, once the restarted agent asks again). */
export const PermissionAnswered = v.object({ requestId: v.string(), optionId: v.string() });
export type PermissionAnswered = v.InferOutput<typeof PermissionAnswered>;

export const TaskListQuery = v.object({
  /** Full-text search over prompts and summaries; plain words, operators are taken literally. */
  q: v.optional(v.pipe(v.string(), v.maxLength(500))),
  /** Only tasks in this state. */
  status: v.optional(TaskStatus),
});

// ---- activity log ----
export const ACTIVITY_KINDS = ['lifecycle', 'task', 'agent'] as const;
export const ActivityKind = v.picklist(ACTIVITY_KINDS);
export type ActivityKind = v.InferOutput<typeof ActivityKind>;

export const ActivityEvent = v.object({
  /** An opaque cursor bound to this workspace; pass it as `since_id` to get what came after. */
  id: v.string(),
  workspaceId: WorkspaceId,
  kind: ActivityKind,
  /** What happened, e.g. `workspace.started`, `task.completed`, `agent.crashed`. */
  type: v.string(),
  message: v.string(),
  at: Timestamp,
});
export type ActivityEvent = v.InferOutput<typeof ActivityEvent>;

export const ActivityQuery = v.object({
  /** Events strictly after this cursor, oldest first; without it, newest first. */
  since_id: v.optional(v.pipe(v.string(), v.maxLength(512))),
  limit: v.optional(
    v.pipe(v.string(), v.transform(Number), v.number(), v.integer(), v.minValue(1), v.maxValue(500)),
  ),
  /** Full-text search over messages; plain words, operators are taken literally. */
  q: v.optional(v.pipe(v.string(), v.maxLength(500))),
});

export const ActivityList = v.object({ items: v.array(ActivityEvent) });

/** The hosting node adds an agent event to its workspace's activity log (kind `agent`, type `agent.*` only). */
export const AgentActivityReport = v.object({
  type: v.pipe(v.string(), v.regex(/^agent\.[a-z_]{1,40}$/, 'must be agent.<word>')),
  message: v.pipe(v.string(), v.maxLength(2000)),
});
export type AgentActivityReport = v.InferOutput<typeof AgentActivityReport>;

// ---- control → node: a task's turns on the workspace's agent (/_node/workspaces/{id}/agent/tasks…) ----

/** Starts a task on the workspace's agent session; the same task again answers the same (a retried dispatch). */
export const NodeTaskStart = v.object({ taskId: TaskId, prompt: Prompt });
export type NodeTaskStart = v.InferOutput<typeof NodeTaskStart>;
export const NodeTaskStarted = v.object({ agentSessionId: v.string() });
export type NodeTaskStarted = v.InferOutput<typeof NodeTaskStarted>;
export const NodeTaskParams = v.object({ id: WorkspaceId, taskId: TaskId });
export const NodeTaskPermissionParams = v.object({
  id: WorkspaceId,
  taskId: TaskId,
  requestId: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
});
