// Which task status may follow which: queued → placing → running → completed / failed / cancelled.
import type { TaskStatus } from '../../contract/index.ts';

/**
 * Status → statuses it may move to. `placing → queued`: placement found no warm node and the task waits
 * again. `placing → completed`: a short turn can end, and its node report arrive, before the dispatcher has
 * recorded the start. `completed`/`failed → queued`: a follow-up continues the task in its workspace (same branch
 * and pull request). `cancelled` moves nowhere.
 */
export const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  queued: ['placing', 'failed', 'cancelled'],
  placing: ['queued', 'running', 'completed', 'failed', 'cancelled'],
  running: ['completed', 'failed', 'cancelled'],
  completed: ['queued'],
  failed: ['queued'],
  cancelled: [],
};

/** True when `from → to` is in the table. */
export function canTaskTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

/** Statuses that may move to `to`: the `WHERE status IN (…)` of the guarded update. */
export function sourcesOf(to: TaskStatus): TaskStatus[] {
  return (Object.keys(TASK_TRANSITIONS) as TaskStatus[]).filter((from) => canTaskTransition(from, to));
}

export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];
