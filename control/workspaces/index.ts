// control/workspaces: lifecycle, transitions, placement and the push to hosting nodes.
export { createNodePush, type NodePush } from './node-push.ts';
export { POOL_LABEL, rankNodes } from './placement.ts';
export {
  createWorkspaceService,
  type PlacedWorkspace,
  type WorkspaceMadeFor,
  type WorkspaceNodeSource,
  type WorkspaceService,
} from './workspace-service.ts';
export {
  ACTION_ALLOWED,
  assertAction,
  assertTransition,
  canTransition,
  WORKSPACE_TRANSITIONS,
  type WorkspaceAction,
} from './workspace-transitions.ts';
