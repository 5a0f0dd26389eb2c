// control/activity: the per-workspace activity log, its workspace-bound cursors, retention and search.
export {
  ACTIVITY_SQL,
  type ActivityAppend,
  type ActivityConfig,
  type ActivityListOptions,
  type ActivityLog,
  createActivityLog,
  defaultActivityConfig,
  setupActivityTables,
} from './activity-log.ts';
export { type CursorPosition, decodeCursor, encodeCursor } from './cursor.ts';
