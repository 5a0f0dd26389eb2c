// Which workspace status may follow which, and which user actions each status allows; illegal moves are 409.
import { WORKSPACE_STATUSES, type WorkspaceStatus } from '../../contract/index.ts';
import { ControlError } from '../errors.ts';

/**
 * Observed status → statuses a report or the control plane may move it to. Staying put is always
 * allowed. `deleting` only ends by removal of the row; `unreachable` returns to what the node reports.
 */
export const WORKSPACE_TRANSITIONS: Record<WorkspaceStatus, readonly WorkspaceStatus[]> = {
  pending: ['starting', 'running', 'stopped', 'error', 'deleting', 'unreachable'],
  starting: ['running', 'degraded', 'stopping', 'stopped', 'error', 'deleting', 'unreachable'],
  running: ['starting', 'degraded', 'stopping', 'stopped', 'error', 'deleting', 'unreachable'],
  degraded: ['starting', 'running', 'stopping', 'stopped', 'error', 'deleting', 'unreachable'],
  stopping: ['stopped', 'running', 'error', 'deleting', 'unreachable'],
  stopped: ['starting', 'running', 'error', 'deleting', 'unreachable'],
  error: ['starting', 'running', 'stopping', 'stopped', 'deleting', 'unreachable'],
  unreachable: ['pending', 'starting', 'running', 'degraded', 'stopping', 'stopped', 'error', 'deleting'],
  deleting: ['unreachable'],
};

export type WorkspaceAction = 'start' | 'stop' | 'delete' | 'update' | 'retry';

/** Statuses in which each user action is accepted. */
export const ACTION_ALLOWED: Record<WorkspaceAction, readonly WorkspaceStatus[]> = {
  start: ['pending', 'starting', 'running', 'degraded', 'stopping', 'stopped', 'error', 'unreachable'],
  stop: ['pending', 'starting', 'running', 'degraded', 'stopping', 'stopped', 'error', 'unreachable'],
  /** Any status: a delete can always be asked for (again). */
  delete: WORKSPACE_STATUSES,
  /** A new spec: anything but a workspace on its way out; a running one restarts with it. */
  update: ['pending', 'starting', 'running', 'degraded', 'stopping', 'stopped', 'error', 'unreachable'],
  /** Start afresh a workspace that gave up (its app) or runs degraded (its agent). */
  retry: ['error', 'degraded'],
};

/** True when `from → to` is in the table (or no change). */
export function canTransition(from: WorkspaceStatus, to: WorkspaceStatus): boolean {
  return from === to || WORKSPACE_TRANSITIONS[from].includes(to);
}

/** Throws 409 `illegal_transition` when `action` is not allowed in `status`. */
export function assertAction(action: WorkspaceAction, status: WorkspaceStatus): void {
  if (!ACTION_ALLOWED[action].includes(status))
    throw new ControlError('illegal_transition', `cannot ${action} a workspace that is ${status}`, {
      status,
      action,
    });
}

/** Throws 409 `illegal_transition` when `from → to` is not in the table. */
export function assertTransition(from: WorkspaceStatus, to: WorkspaceStatus): void {
  if (!canTransition(from, to))
    throw new ControlError('illegal_transition', `a workspace cannot go from ${from} to ${to}`, { from, to });
}
