// Which task status may follow which: queued → placing → running (⇄ needs_input) → completed / failed / cancelled.
import type { TaskStatus } from '../../contract/index.ts';

/**
 * Status → statuses it may move to. `placing → queued`: placement found no warm node and the task waits
 * again. `placing → completed`: a short turn can end, and its node report arrive, before the dispatcher has
 * recorded the start. `running ⇄ needs_input`: the hosting node says a permission request has waited on a person
 * past its threshold, and again once it was answered; a waiting task still ends, and is still cancelled, as a
 * running one. `completed`/`failed → queued`: a follow-up continues the task in its workspace (same branch and
 * pull request). `cancelled` moves nowhere.
 */
export const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  queued: ['placing', 'failed', 'cancelled'],
  placing: ['queued', 'running', 'completed', 'failed', 'cancelled'],
  running: ['needs_input', 'completed', 'failed', 'cancelled'],
  needs_input: ['running', 'completed', 'failed', 'cancelled'],
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
