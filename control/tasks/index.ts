// control/tasks: tasks with exactly one owner from submission to their end, on the control plane's database.

export { createNodeTaskAgents, type NodeTaskAgentsOptions } from './node-task-agents.ts';
export { createTaskDispatcher, type TaskDispatcher } from './task-dispatcher.ts';
export { createTaskPlacement, type TaskPlacementOptions, taskWorkspaceName } from './task-placement.ts';
export {
  type TaskActor,
  type TaskAgents,
  type TaskMessageRow,
  type TaskPlacement,
  TaskPlacementError,
  type TaskService,
  type TaskWhere,
  taskBranch,
} from './task-ports.ts';
export {
  createProjectRepository,
  createTaskPullRequests,
  pullRequestBody,
  pullRequestTitle,
  type TaskPullRequests,
} from './task-pull-requests.ts';
export { createTaskService } from './task-service.ts';
export type { TaskRow } from './task-tables.ts';
export { canTaskTransition, TASK_TRANSITIONS, TERMINAL_TASK_STATUSES } from './task-transitions.ts';
export { taskMessageView, taskView } from './task-view.ts';
export {
  createTaskWorkspaces,
  defaultTaskWorkspaceConfig,
  type TaskWorkspaceConfig,
  type TaskWorkspaces,
} from './task-workspaces.ts';
export { createWarmPlacement } from './warm-placement.ts';
