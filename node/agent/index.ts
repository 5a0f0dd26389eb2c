// node/agent: the Agent Client Protocol bridge — agent process supervision, session transcripts, and the
// `/w/{id}/_agent` WebSocket handlers the proxy mounts.

export { type AgentActivity, agentActivityOf } from './agent-activity.ts';
export { type AgentHost, type AgentHostOptions, createAgentHost } from './agent-host.ts';
export type { AgentCommand, AgentProcess } from './agent-process.ts';
export { spawnAgentProcess } from './agent-process.ts';
export {
  type AgentSession,
  type AgentSessionOptions,
  type AgentSubscription,
  createAgentSession,
  type SessionPermissions,
  type TurnOutcome,
} from './agent-session.ts';
export {
  AGENT_SOCKET_CLOSE,
  type AgentSocketData,
  type AgentSocketHandler,
  type AgentSocketOptions,
  createAgentSocketHandler,
} from './agent-socket.ts';
export {
  type AgentSupervisor,
  type AgentSupervisorConfig,
  type AgentSupervisorOptions,
  createAgentSupervisor,
  defaultAgentSupervisorConfig,
  type TurnResult,
} from './agent-supervisor.ts';
export {
  AgentTaskError,
  type AgentTasks,
  type AgentTasksOptions,
  createAgentTasks,
} from './agent-tasks.ts';
export { type BackoffConfig, backoffDelay, defaultBackoffConfig } from './backoff.ts';
export {
  createPermissionDesk,
  PERMISSION_FILE,
  type PermissionDesk,
  PermissionError,
} from './permission-desk.ts';
export {
  fileTaskJournal,
  memoryTaskJournal,
  TASK_JOURNAL_FILE,
  type TaskJournal,
  type TaskJournalEntry,
} from './task-journal.ts';
export { taskReportOf } from './task-report.ts';
export {
  openTranscriptStore,
  TRANSCRIPT_DB_FILE,
  type TranscriptHit,
  type TranscriptStore,
} from './transcript-store.ts';
