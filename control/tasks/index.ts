// control/tasks: tasks with exactly one owner from submission to their end, on the control plane's database.

export { createNodeTaskAgents, type NodeTaskAgentsOptions } from './node-task-agents.ts';
export { createTaskDispatcher, type TaskDispatcher } from './task-dispatcher.ts';
export {
  createTaskService,
  type TaskActor,
  type TaskAgents,
  type TaskMessageRow,
  type TaskPlacement,
  TaskPlacementError,
  type TaskService,
  type TaskWhere,
} from './task-service.ts';
export type { TaskRow } from './task-tables.ts';
export { canTaskTransition, TASK_TRANSITIONS, TERMINAL_TASK_STATUSES } from './task-transitions.ts';
export { taskMessageView, taskView } from './task-view.ts';
export { createWarmPlacement } from './warm-placement.ts';
