// The live event stream of the control plane (`GET /api/v1/events`, server-sent events) that the UI follows.
import * as v from 'valibot';
import { Node, Workspace } from './api.ts';
import { NodeId, WorkspaceId } from './ids.ts';

/**
 * One event on the stream, sent as an SSE `data:` line holding this JSON. The first event is always a
 * `snapshot`; after it only changes follow (an upsert carries the whole new state, a removal the id).
 */
export const LiveEvent = v.variant('type', [
  v.object({ type: v.literal('snapshot'), workspaces: v.array(Workspace), nodes: v.array(Node) }),
  v.object({ type: v.literal('workspace'), workspace: Workspace }),
  v.object({ type: v.literal('workspace_removed'), id: WorkspaceId }),
  v.object({ type: v.literal('node'), node: Node }),
  v.object({ type: v.literal('node_removed'), id: NodeId }),
]);
export type LiveEvent = v.InferOutput<typeof LiveEvent>;
