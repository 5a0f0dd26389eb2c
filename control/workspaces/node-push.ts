// Calls to a node's `/_node/*` API with a fresh control command token: the workspace assignment push (best
// effort, bounded in time) and the other node operations (the task agent calls) that need the answer.
import type { WorkspaceAssignment } from '../../contract/index.ts';
import type { Issuer } from '../identity/index.ts';
import type { Log } from '../log.ts';

/** A node's answer to a command: its status and parsed JSON body (undefined when it had none). */
export interface NodeAnswer {
  status: number;
  body: unknown;
}

export interface NodePush {
  /** Sends `assignment` to the node at `address`; resolves within the timeout whatever the node does. */
  assignment(node: { id: string; address: string }, assignment: WorkspaceAssignment): Promise<boolean>;
  /**
   * `method path` on the node with `body` as JSON, authenticated with a control command token for that node.
   * Rejects when the node cannot be reached within `timeoutMs` (default the push timeout).
   */
  command(
    node: { id: string; address: string },
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    timeoutMs?: number,
  ): Promise<NodeAnswer>;
}

export function createNodePush(deps: { issuer: Issuer; log: Log; timeoutMs: number }): NodePush {
  const command: NodePush['command'] = async (node, method, path, body, timeoutMs) => {
    const { token } = await deps.issuer.controlCommand({ nodeId: node.id });
    const res = await fetch(new URL(path, node.address), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs ?? deps.timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed };
  };
  return {
    command,
    async assignment(node, assignment) {
      try {
        const res = await command(node, 'PUT', `/_node/workspaces/${assignment.id}`, assignment);
        const ok = res.status >= 200 && res.status < 300;
        if (!ok)
          deps.log.warn('node push refused', { node: node.id, workspace: assignment.id, status: res.status });
        return ok;
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
