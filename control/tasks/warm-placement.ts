// Placement of a task on an idle workspace: one of its owner's running workspaces of the task's project whose agent
// is `ready`, on an online node not drained, made for no other task and holding none. None free: the task stays
// queued (a retryable placement failure); task-placement.ts then makes a workspace for it.
import type { Client } from '@libsql/client';
import type { Store } from '../db/index.ts';
import { type TaskPlacement, TaskPlacementError } from './task-ports.ts';

/** Picks the free idle workspace that was used longest ago (updated first), so work spreads out. */
export function createWarmPlacement(deps: { store: Store; client: Client }): TaskPlacement {
  return {
    async place(task) {
      const [workspaces, nodes, busy] = await Promise.all([
        deps.store.workspaces.list(task.ownerId),
        deps.store.nodes.list(),
        deps.client.execute(
          "SELECT workspace_id FROM tasks WHERE status IN ('placing', 'running', 'needs_input') AND workspace_id IS NOT NULL",
        ),
      ]);
      // A drained node gets no new work, tasks included; what runs there keeps running.
      const online = new Set(nodes.filter((n) => n.status === 'online' && !n.drainedAt).map((n) => n.id));
      const held = new Set(busy.rows.map((r) => String(r.workspace_id)));
      const warm = workspaces
        .filter(
          (w) =>
            w.projectId === task.projectId &&
            w.agentCommand !== null &&
            // An agent that failed (or is still starting) takes no task: it would only fail it.
            w.agentState === 'ready' &&
            // A workspace made for a task keeps its checkout and branch for that task's follow-ups.
            w.taskId === null &&
            w.status === 'running' &&
            w.desiredState === 'running' &&
            w.nodeId !== null &&
            online.has(w.nodeId) &&
            !held.has(w.id),
        )
        .sort((a, b) => a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : 1));
      const pick = warm[0];
      if (!pick?.nodeId) throw new TaskPlacementError('no warm workspace of this project is free', true);
      return { workspaceId: pick.id, nodeId: pick.nodeId };
    },
  };
}
