// Pushes a workspace assignment to its hosting node (PUT /_node/workspaces/{id}); best effort, bounded in time.
import type { WorkspaceAssignment } from '../../contract/index.ts';
import type { Issuer } from '../identity/index.ts';
import type { Log } from '../log.ts';

export interface NodePush {
  /** Sends `assignment` to the node at `address`; resolves within the timeout whatever the node does. */
  assignment(node: { id: string; address: string }, assignment: WorkspaceAssignment): Promise<boolean>;
}

export function createNodePush(deps: { issuer: Issuer; log: Log; timeoutMs: number }): NodePush {
  return {
    async assignment(node, assignment) {
      try {
        const { token } = await deps.issuer.controlCommand({ nodeId: node.id });
        const url = new URL(`/_node/workspaces/${assignment.id}`, node.address);
        const res = await fetch(url, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(assignment),
          signal: AbortSignal.timeout(deps.timeoutMs),
        });
        await res.body?.cancel();
        if (!res.ok)
          deps.log.warn('node push refused', { node: node.id, workspace: assignment.id, status: res.status });
        return res.ok;
      } catch (e) {
        // The next heartbeat carries the assignment anyway.
        deps.log.warn('node push failed', {
          node: node.id,
          workspace: assignment.id,
          error: (e as Error).name,
        });
        return false;
      }
    },
  };
}
