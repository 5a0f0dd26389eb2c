// The life of workspaces made for tasks after their turns: stopped once their task has had no turn for a while (a
// follow-up starts them again, transcript and checkout kept), deleted once the retention period passed.
import type { Client } from '@libsql/client';
import type { Clock } from '../clock.ts';
import type { Store } from '../db/index.ts';
import type { Log } from '../log.ts';
import type { WorkspaceService } from '../workspaces/index.ts';
import { taskOwner } from './task-placement.ts';

export interface TaskWorkspaceConfig {
  /** 30 min (WARREN_TASK_IDLE_STOP_MS): a task workspace whose task ended this long ago is stopped (it frees its node's room). */
  idleStopMs: number;
  /** 7 days (WARREN_TASK_WORKSPACE_RETENTION_MS): then it is deleted; its branch and pull request stay on GitHub. */
  retentionMs: number;
}

export function defaultTaskWorkspaceConfig(): TaskWorkspaceConfig {
  return { idleStopMs: 30 * 60_000, retentionMs: 7 * 24 * 3_600_000 };
}

export interface TaskWorkspaces {
  /** Stops idle task workspaces and deletes expired ones; returns how many of each. */
  sweep(): Promise<{ stopped: number; deleted: number }>;
}

/** How many of each kind one sweep handles; the next sweep takes the rest. */
const BATCH = 50;

export function createTaskWorkspaces(deps: {
  client: Client;
  store: Store;
  workspaces: WorkspaceService;
  clock: Clock;
  log: Log;
  config: TaskWorkspaceConfig;
}): TaskWorkspaces {
  /** Workspaces made for tasks that ended before `before`, whose desired state is one of `desired`. */
  const ended = async (before: number, desired: string[]) => {
    const r = await deps.client.execute({
      sql: `SELECT w.id, w.owner_id FROM workspaces w JOIN tasks t ON t.id = w.task_id
            WHERE t.status IN ('completed', 'failed', 'cancelled') AND t.ended_at < ?
              AND w.desired_state IN (${desired.map(() => '?').join(', ')})
            ORDER BY t.ended_at LIMIT ?`,
      args: [before, ...desired, BATCH],
    });
    return r.rows.map((row) => ({ id: String(row.id), ownerId: String(row.owner_id) }));
  };
  const each = async (
    rows: { id: string; ownerId: string }[],
    what: string,
    act: (p: Awaited<ReturnType<typeof taskOwner>>, id: string) => Promise<unknown>,
  ) => {
    let n = 0;
    for (const row of rows) {
      try {
        await act(await taskOwner(deps.store, row.ownerId), row.id);
        n++;
      } catch (e) {
        deps.log.warn(`task workspace ${what} failed`, { workspace: row.id, error: (e as Error).message });
      }
    }
    return n;
  };
  return {
    async sweep() {
      const now = deps.clock.now();
      const expired = await ended(now - deps.config.retentionMs, ['running', 'stopped']);
      const deleted = await each(expired, 'delete', (p, id) => deps.workspaces.remove(p, id));
      const idle = await ended(now - deps.config.idleStopMs, ['running']);
      const stopped = await each(idle, 'stop', (p, id) => deps.workspaces.stop(p, id));
      return { stopped, deleted };
    },
  };
}
