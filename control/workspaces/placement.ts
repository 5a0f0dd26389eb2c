// Where a new workspace goes: the online node with the most free slots (pure; the insert re-checks capacity).
import type { NodeWithCount } from '../db/index.ts';

/** Label of warm-pool nodes (control/providers POOL_LABEL): only a pool claim places a workspace there. */
export const POOL_LABEL = 'warren.pool';

function pooled(node: NodeWithCount): boolean {
  try {
    return POOL_LABEL in (JSON.parse(node.labels) as Record<string, string>);
  } catch {
    return false;
  }
}

/**
 * Online nodes with a free slot, most free slots first (ties by id, so placement is deterministic). Warm-pool
 * nodes are left out: an idle one may be reaped at any time, so nothing lands there but its own claim. Drained
 * nodes are left out: an admin is emptying them.
 */
export function rankNodes(nodes: readonly NodeWithCount[]): NodeWithCount[] {
  return nodes
    .filter(
      (n) =>
        n.status === 'online' && !n.drainedAt && n.capacityWorkspaces - n.workspaceCount > 0 && !pooled(n),
    )
    .sort(
      (a, b) =>
        b.capacityWorkspaces - b.workspaceCount - (a.capacityWorkspaces - a.workspaceCount) ||
        (a.id < b.id ? -1 : 1),
    );
}
