// node/workspaces: the Runtime interface, the process runtime, placement and the terminal.
export { Placement } from './placement.ts';
export { groupMembers } from './process-group.ts';
export { createProcessRuntime, LOGS_DIR, WORKSPACES_DIR } from './process-runtime.ts';
export type { Attachment, Runtime, WorkspaceHooks, WorkspaceTarget } from './runtime.ts';
export { openTerminal, parseTerminalMessage, type TerminalSession } from './terminal.ts';
