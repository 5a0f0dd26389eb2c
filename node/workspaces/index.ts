// node/workspaces: the Runtime interface, isolation (process, sandbox), placement and the terminal.
export type {
  Isolation,
  IsolationKind,
  LaunchedProcess,
  PreparedWorkspace,
  SpawnRequest,
  WorkspaceLimits,
} from './isolation.ts';
export { Placement } from './placement.ts';
export { groupMembers } from './process-group.ts';
export { createProcessIsolation, spawnInGroup } from './process-isolation.ts';
export type { Attachment, Runtime, WorkspaceHooks, WorkspaceTarget } from './runtime.ts';
export { SandboxError } from './sandbox/host-command.ts';
export { createSandboxIsolation, type SandboxConfig } from './sandbox/sandbox-isolation.ts';
export { Scrollback } from './scrollback.ts';
export { openTerminal, parseTerminalMessage, type TerminalSession } from './terminal.ts';
export {
  defaultTerminalConfig,
  HostedTerminal,
  isTerminalSessionId,
  loginShellArgv,
  TERMINAL_CLOSE,
  type TerminalClient,
  type TerminalConfig,
  TerminalLimitError,
  type TerminalSessionInfo,
  TerminalSessions,
} from './terminal-sessions.ts';
export {
  createWorkspaceLogs,
  defaultWorkspaceLogsConfig,
  type LogWriter,
  type WorkspaceLogs,
  type WorkspaceLogsConfig,
} from './workspace-logs.ts';
export {
  createProcessRuntime,
  createWorkspaceRuntime,
  LOGS_DIR,
  runFingerprint,
  WORKSPACES_DIR,
} from './workspace-runtime.ts';
