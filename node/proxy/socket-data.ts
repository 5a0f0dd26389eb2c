// What each server-side WebSocket carries: a bridge to the workspace's app, a terminal, or an agent session.
import type { ServerWebSocket } from 'bun';
import type { TerminalSession, WorkspaceTarget } from '../workspaces/index.ts';

/** A client socket bridged to an upstream WebSocket of the workspace's app. */
export interface BridgeData {
  kind: 'bridge';
  upstream: WebSocket;
  /** Set once the client socket is open; messages from upstream wait in `pending` until then. */
  client: ServerWebSocket<SocketData> | undefined;
  pending: (string | ArrayBuffer)[];
  detach: (() => void) | undefined;
}

/** A client socket attached to a shell on a PTY. */
export interface TerminalData {
  kind: 'terminal';
  target: WorkspaceTarget;
  cols: number;
  rows: number;
  session: TerminalSession | undefined;
  detach: (() => void) | undefined;
}

/** A client socket on the workspace's agent session (`/w/{id}/_agent`); node/agent handles it. */
export interface AgentData {
  kind: 'agent';
  workspaceId: string;
  /** `?afterSeq=`: replay the transcript after this sequence number on open. */
  afterSeq?: number;
  detach: (() => void) | undefined;
}

export type SocketData = BridgeData | TerminalData | AgentData;
