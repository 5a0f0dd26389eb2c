// A status shown as words with a colour and, while something is under way, a spinner.
import type { NodeStatus, TaskStatus, WorkspaceStatus } from '../api.ts';

const WORKSPACE_WORDS: Record<WorkspaceStatus, string> = {
  pending: 'Waiting for a node',
  starting: 'Starting',
  running: 'Running',
  degraded: 'Degraded',
  stopping: 'Stopping',
  stopped: 'Stopped',
  error: 'Error',
  unreachable: 'Unreachable',
  deleting: 'Deleting',
};

const NODE_WORDS: Record<NodeStatus, string> = {
  online: 'Online',
  degraded: 'Degraded',
  suspect: 'Suspect',
  partitioned: 'Partitioned',
  offline: 'Offline',
  awaiting_agent: 'Awaiting agent',
};

/** Every task status with its words, in the order a task lives them (the task list filters by these). */
export const TASK_WORDS: Record<TaskStatus, string> = {
  queued: 'Queued',
  placing: 'Finding a workspace',
  running: 'Running',
  needs_input: 'Needs your input',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** Statuses that change by themselves soon; they get a spinner. */
const MOVING = new Set<string>(['pending', 'starting', 'stopping', 'deleting', 'queued', 'placing']);

const TONE: Record<string, 'ok' | 'busy' | 'idle' | 'bad' | 'warn'> = {
  running: 'ok',
  online: 'ok',
  pending: 'busy',
  starting: 'busy',
  stopping: 'busy',
  deleting: 'busy',
  stopped: 'idle',
  awaiting_agent: 'idle',
  queued: 'busy',
  placing: 'busy',
  completed: 'ok',
  failed: 'bad',
  cancelled: 'idle',
  error: 'bad',
  offline: 'bad',
  unreachable: 'warn',
  degraded: 'warn',
  suspect: 'warn',
  partitioned: 'warn',
  needs_input: 'warn',
};

export function workspaceStatusWords(s: WorkspaceStatus): string {
  return WORKSPACE_WORDS[s] ?? s;
}

/** A workspace's status. */
export function WorkspaceBadge({ status }: { status: WorkspaceStatus }) {
  return <Badge status={status} words={WORKSPACE_WORDS[status] ?? status} />;
}

/** A node's status. */
export function NodeBadge({ status }: { status: NodeStatus }) {
  return <Badge status={status} words={NODE_WORDS[status] ?? status} />;
}

/** A task's status. */
export function TaskBadge({ status }: { status: TaskStatus }) {
  return <Badge status={status} words={TASK_WORDS[status] ?? status} />;
}

function Badge({ status, words }: { status: string; words: string }) {
  return (
    <span class={`badge tone-${TONE[status] ?? 'idle'}`} data-status={status}>
      {MOVING.has(status) ? (
        <span class="spinner" aria-hidden="true" />
      ) : (
        <span class="dot" aria-hidden="true" />
      )}
      {words}
    </span>
  );
}
