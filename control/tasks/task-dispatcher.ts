// Dispatches tasks: one right after submission, and a sweep that re-dispatches every task still queued (no warm
// workspace was free, or the control plane restarted) and takes over tasks a dead dispatcher left placing; the
// claims in TaskService keep each start single.
import type { Client } from '@libsql/client';
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import type { TaskService } from './task-ports.ts';

export interface TaskDispatcher {
  /** Dispatches `taskId` in the background; failures are logged, the sweep tries again. */
  dispatch(taskId: string): void;
  /**
   * Takes over tasks left placing by a dispatcher that died, then dispatches queued tasks, oldest first (at most
   * `limit` of each); returns how many started.
   */
  sweep(limit?: number): Promise<number>;
}

/** 60 s: far past the longest a live dispatch takes (the node's start call times out after 10 s). */
const STALE_PLACING_MS = 60_000;

export function createTaskDispatcher(deps: {
  tasks: TaskService;
  client: Client;
  log: Log;
  clock: Clock;
  staleAfterMs?: number;
}): TaskDispatcher {
  const staleMs = deps.staleAfterMs ?? STALE_PLACING_MS;
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
      let started = 0;
      const stale = await deps.client.execute({
        sql: "SELECT id FROM tasks WHERE status = 'placing' AND updated_at < ? ORDER BY updated_at LIMIT ?",
        args: [deps.clock.now() - staleMs, limit],
      });
      for (const row of stale.rows) {
        try {
          if ((await deps.tasks.recover(String(row.id), staleMs)).started) started++;
        } catch (e) {
          deps.log.warn('task recovery failed', { task: String(row.id), error: (e as Error).message });
        }
      }
      const r = await deps.client.execute({
        sql: "SELECT id FROM tasks WHERE status = 'queued' ORDER BY created_at, rowid LIMIT ?",
        args: [limit],
      });
      for (const row of r.rows) if (await run(String(row.id))) started++;
      return started;
    },
  };
}
