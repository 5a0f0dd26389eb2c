// Dispatches tasks: one right after submission, and a sweep that re-dispatches every task still queued (no warm
// workspace was free, or the control plane restarted); the claim in TaskService keeps each start single.
import type { Client } from '@libsql/client';
import type { Log } from '../log.ts';
import type { TaskService } from './task-service.ts';

export interface TaskDispatcher {
  /** Dispatches `taskId` in the background; failures are logged, the sweep tries again. */
  dispatch(taskId: string): void;
  /** Dispatches queued tasks, oldest first (at most `limit`); returns how many started. */
  sweep(limit?: number): Promise<number>;
}

export function createTaskDispatcher(deps: { tasks: TaskService; client: Client; log: Log }): TaskDispatcher {
  const run = async (id: string) => {
    try {
      return (await deps.tasks.dispatch(id)).started;
    } catch (e) {
      deps.log.warn('task dispatch failed', { task: id, error: (e as Error).message });
      return false;
    }
  };
  return {
    dispatch(taskId) {
      void run(taskId);
    },
    async sweep(limit = 100) {
      const r = await deps.client.execute({
        sql: "SELECT id FROM tasks WHERE status = 'queued' ORDER BY created_at, rowid LIMIT ?",
        args: [limit],
      });
      let started = 0;
      for (const row of r.rows) if (await run(String(row.id))) started++;
      return started;
    },
  };
}
