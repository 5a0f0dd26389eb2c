// Where a new workspace goes: the online node with the most free slots (pure; the insert re-checks capacity).
import type { NodeWithCount } from '../db/index.ts';

/** Online nodes with a free slot, most free slots first (ties by id, so placement is deterministic). */
export function rankNodes(nodes: readonly NodeWithCount[]): NodeWithCount[] {
  return nodes
    .filter((n) => n.status === 'online' && n.capacityWorkspaces - n.workspaceCount > 0)
    .sort(
      (a, b) =>
        b.capacityWorkspaces - b.workspaceCount - (a.capacityWorkspaces - a.workspaceCount) ||
        (a.id < b.id ? -1 : 1),
    );
}
