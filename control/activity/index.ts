// control/activity: the per-workspace activity log, its workspace-bound cursors, retention and search.
export {
  type ActivityAppend,
  type ActivityConfig,
  type ActivityListOptions,
  type ActivityLog,
  createActivityLog,
  defaultActivityConfig,
} from './activity-log.ts';
export { type CursorPosition, decodeCursor, encodeCursor } from './cursor.ts';
