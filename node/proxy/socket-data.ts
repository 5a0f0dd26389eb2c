// What each server-side WebSocket carries: a bridge to the workspace's app, a terminal, an agent session, logs
// or a port tunnel.
import type { Socket } from 'node:net';
import type { ServerWebSocket } from 'bun';
import type { VerifiedToken } from '../auth/index.ts';
import type { HostedTerminal, TerminalClient, WorkspaceTarget } from '../workspaces/index.ts';

/** What every socket a workspace token let in carries: that token, so the socket ends when the token does. */
interface TokenBound {
  /** Its `exp`, subject, workspace and `iat` are checked while the socket is open (LiveSessions). */
  token: VerifiedToken;
  /** Set once the token lapsed and the socket is closing: whatever the client still sends is dropped. */
  ended?: true;
}

/** A client socket bridged to an upstream WebSocket of the workspace's app. */
export interface BridgeData extends TokenBound {
  kind: 'bridge';
  upstream: WebSocket;
  /** Set once the client socket is open; messages from upstream wait in `pending` until then. */
  client: ServerWebSocket<SocketData> | undefined;
  pending: (string | ArrayBuffer)[];
  detach: (() => void) | undefined;
}

/** A client socket attached to a reconnecting terminal session (a shell on a PTY that outlives the socket). */
export interface TerminalData extends TokenBound {
  kind: 'terminal';
  target: WorkspaceTarget;
  /** The client's window: the PTY is resized to it on attach. */
  cols: number;
  rows: number;
  /** `?session=`: reattach to this session; absent: start a new one. */
  sessionId: string | undefined;
  /**
   * `?command=`: run this one command (with the user's shell, `-c`) instead of an interactive shell. Such a
   * session cannot be reattached: it ends with its socket, and the close reason carries the exit status.
   */
  command: string | undefined;
  session: HostedTerminal | undefined;
  /** This socket as the session's client, once attached. */
  client: TerminalClient | undefined;
  detach: (() => void) | undefined;
}

/** A client socket on the workspace's agent session (`/w/{id}/_agent`); node/agent handles it. */
export interface AgentData extends TokenBound {
  kind: 'agent';
  workspaceId: string;
  /** `?afterSeq=`: replay the transcript after this sequence number on open. */
  afterSeq?: number;
  detach: (() => void) | undefined;
}

/** A client socket following the workspace's output (`/w/{id}/_logs`). */
export interface LogsData extends TokenBound {
  kind: 'logs';
  workspaceId: string;
  /** Lines of the past sent first. */
  tail: number;
  unfollow: (() => void) | undefined;
  detach: (() => void) | undefined;
}

/** A client socket tunnelled to a TCP port of the workspace (`/w/{id}/_port/{port}`, `ports` scope and claim). */
export interface PortData extends TokenBound {
  kind: 'port';
  target: WorkspaceTarget;
  port: number;
  /** The TCP connection to the workspace; bytes from the client wait in `pending` until it is open. */
  upstream: Socket | undefined;
  connected: boolean;
  pending: Uint8Array[];
  detach: (() => void) | undefined;
}

export type SocketData = BridgeData | TerminalData | AgentData | LogsData | PortData;
