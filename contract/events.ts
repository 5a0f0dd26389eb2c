// The live event stream of the control plane (`GET /api/v1/events`, server-sent events) that the UI follows.
import * as v from 'valibot';
import { Node, Workspace } from './api.ts';
import { NodeId, TaskId, WorkspaceId } from './ids.ts';
import { Task } from './tasks.ts';

/**
 * One event on the stream, sent as an SSE `data:` line holding this JSON. The first event is always a
 * `snapshot`; after it only changes follow (an upsert carries the whole new state, a removal the id).
 */
export const LiveEvent = v.variant('type', [
  v.object({
    type: v.literal('snapshot'),
    workspaces: v.array(Workspace),
    nodes: v.array(Node),
    /** The caller's tasks, newest first (at most 200). */
    tasks: v.array(Task),
  }),
  v.object({ type: v.literal('workspace'), workspace: Workspace }),
  v.object({ type: v.literal('workspace_removed'), id: WorkspaceId }),
  v.object({ type: v.literal('node'), node: Node }),
  v.object({ type: v.literal('node_removed'), id: NodeId }),
  v.object({ type: v.literal('task'), task: Task }),
  v.object({ type: v.literal('task_removed'), id: TaskId }),
  /** The workspace's activity log grew; fetch it with `since_id` (the entries stay behind their own API). */
  v.object({ type: v.literal('activity'), workspaceId: WorkspaceId }),
]);
export type LiveEvent = v.InferOutput<typeof LiveEvent>;
