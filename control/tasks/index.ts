// control/tasks: tasks with exactly one owner from submission to their end, on their own libSQL tables.
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
export { setupTaskTables, TASK_SQL, type TaskRow } from './task-tables.ts';
export { canTaskTransition, TASK_TRANSITIONS, TERMINAL_TASK_STATUSES } from './task-transitions.ts';
export { taskMessageView, taskView } from './task-view.ts';
export { createWarmPlacement } from './warm-placement.ts';
