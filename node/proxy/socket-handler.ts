// Server-side WebSocket events: pump bridge traffic both ways, attach a terminal socket to its session, or
// tunnel a port.
import { connect } from 'node:net';
import type { ServerWebSocket, WebSocketHandler } from 'bun';
import {
  type HostedTerminal,
  parseTerminalMessage,
  type Runtime,
  TERMINAL_CLOSE,
  TerminalLimitError,
  type TerminalSessions,
} from '../workspaces/index.ts';
import type { LiveSessions } from './live-sessions.ts';
import { openLogSocket } from './logs-endpoint.ts';
import type { AgentData, LogsData, PortData, SocketData, TerminalData } from './socket-data.ts';
import { bridgeClosed, bridgeMessage, bridgeOpened } from './websocket-bridge.ts';

/** The handlers of agent sockets (node/agent's createAgentSocketHandler), mounted by kind. */
export interface AgentSockets {
  open(ws: ServerWebSocket<AgentData>): void;
  message(ws: ServerWebSocket<AgentData>, message: string | Buffer): void;
  close(ws: ServerWebSocket<AgentData>, code?: number, reason?: string): void;
}

/**
 * The handler Bun.serve calls for every upgraded socket; Bun has one per server, so it routes by `kind`. Every
 * socket is watched by `sessions` while open: when its token expires or is revoked it is closed, and what it
 * drives (the shell, the app's socket) ends with it.
 */
export function createSocketHandler(
  runtime: Runtime,
  /** The node's terminal sessions; absent on a front that hosts nothing (it only bridges). */
  terminals: TerminalSessions | undefined,
  sessions: LiveSessions,
  agent?: AgentSockets,
): WebSocketHandler<SocketData> {
  const asAgent = (ws: ServerWebSocket<SocketData>) => ws as ServerWebSocket<AgentData>;
  return {
    // Terminal output and app traffic can be bursty; past 16 MiB queued the client is too slow and is dropped.
    backpressureLimit: 16 * 1024 * 1024,
    closeOnBackpressureLimit: true,
    // A port tunnel stops reading the workspace while the client is behind, and reads again once it drained.
    drain(ws) {
      if (ws.data.kind === 'port') ws.data.upstream?.resume();
    },
    open(ws) {
      const d = ws.data;
      sessions.track(d, d.token, (code, reason) => endSocket(ws, code, reason));
      if (d.ended) return;
      if (d.kind === 'agent') {
        if (!agent) return ws.close(4404, 'no agent');
        // Stopping or deleting the workspace ends its agent sockets too.
        d.detach = runtime.attach(d.workspaceId, () => ws.close(1001, 'workspace stopped'));
        return agent.open(asAgent(ws));
      }
      if (d.kind === 'logs')
        return openLogSocket(ws as ServerWebSocket<SocketData> & { data: LogsData }, runtime);
      if (d.kind === 'bridge') return bridgeOpened(ws, d);
      if (d.kind === 'port') return openPort(ws as ServerWebSocket<SocketData> & { data: PortData }, runtime);
      if (!terminals) return ws.close(TERMINAL_CLOSE.notFound, 'no terminals here');
      attachTerminal(ws as ServerWebSocket<SocketData> & { data: TerminalData }, terminals);
    },
    message(ws, message) {
      const d = ws.data;
      if (d.ended) return;
      if (d.kind === 'agent') return agent?.message(asAgent(ws), message);
      if (d.kind === 'logs') return;
      if (d.kind === 'bridge') return bridgeMessage(d, message);
      if (d.kind === 'port') return sendToPort(ws, d, message);
      if (!d.session) return;
      if (typeof message === 'string') {
        const control = parseTerminalMessage(message);
        if (control?.type === 'resize') d.session.resize(control.cols, control.rows);
        else if (control?.type === 'close') d.session.end(TERMINAL_CLOSE.closed, 'terminal closed');
        else d.session.write(message);
      } else {
        d.session.write(message);
      }
    },
    close(ws, code, reason) {
      const d = ws.data;
      sessions.untrack(d);
      d.detach?.();
      if (d.kind === 'agent') return agent?.close(asAgent(ws), code, reason);
      if (d.kind === 'logs') return d.unfollow?.();
      if (d.kind === 'bridge') return bridgeClosed(d, code, reason);
      if (d.kind === 'port') {
        // The client said goodbye: the workspace gets what was sent, then its end of the connection.
        d.upstream?.end();
        return;
      }
      // The shell outlives its socket: the session counts down its grace period once no client is left.
      if (d.client) d.session?.detach(d.client);
      d.session = undefined;
    },
  };
}

/** The socket's token lapsed: close it, and end at once what it drives rather than when the client answers. */
function endSocket(ws: ServerWebSocket<SocketData>, code: number, reason: string): void {
  const d = ws.data;
  d.ended = true;
  // Taken before the close, whose handler may run at once and detach the socket from its session.
  const session = d.kind === 'terminal' ? d.session : undefined;
  ws.close(code, reason);
  if (d.kind === 'terminal') {
    if (d.client) session?.detach(d.client);
    d.session = undefined;
    // A revoked token ends the shell at once: nobody may keep using it. An expired one only ends this socket, and
    // the client reattaches with a fresh token (the session waits out its grace period meanwhile).
    if (reason === 'token revoked') session?.end(code, reason);
  } else if (d.kind === 'bridge' && d.upstream.readyState <= WebSocket.OPEN) {
    d.upstream.close(code, reason);
  } else if (d.kind === 'port') {
    d.upstream?.destroy();
  }
}

/** Bytes from the client a port tunnel holds for a slow workspace before it gives up on the connection. */
const PORT_BUFFER_LIMIT = 16 * 1024 * 1024;

/** Connects a port tunnel to the workspace's port; either end closing closes the other. */
function openPort(ws: ServerWebSocket<SocketData> & { data: PortData }, runtime: Runtime): void {
  const d = ws.data;
  // Half-open: the client's `eof` ends only the write side; the workspace's answer still comes back.
  const upstream = connect({ host: d.target.host, port: d.port, allowHalfOpen: true });
  d.upstream = upstream;
  upstream.setNoDelay(true);
  upstream.on('connect', () => {
    d.connected = true;
    for (const chunk of d.pending) upstream.write(chunk);
    d.pending.length = 0;
  });
  upstream.on('data', (chunk: Buffer) => {
    // -1: queued behind earlier frames; pause until the `drain` event says the client caught up.
    if (ws.sendBinary(chunk) === -1) upstream.pause();
  });
  upstream.on('end', () => {
    if (!d.ended) ws.send(PORT_EOF);
  });
  upstream.on('error', (e: NodeJS.ErrnoException) => {
    if (!d.ended) ws.close(1011, `port ${d.port}: ${e.code ?? 'error'}`.slice(0, 120));
  });
  upstream.on('close', () => {
    if (!d.ended) ws.close(1000, 'port closed');
  });
  // Stopping or deleting the workspace ends its tunnels too.
  d.detach = runtime.attach(d.target.id, () => {
    upstream.destroy();
    ws.close(1001, 'workspace stopped');
  });
}

/**
 * A port tunnel's frames: binary frames carry bytes; the text frame `eof` says that side writes no more (a TCP
 * half-close), so a request sent in full still gets its whole answer back. Other text frames are ignored.
 */
const PORT_EOF = 'eof';

function sendToPort(ws: ServerWebSocket<SocketData>, d: PortData, message: string | Buffer): void {
  if (typeof message === 'string') {
    if (message !== PORT_EOF) return;
    if (d.connected) d.upstream?.end();
    else d.upstream?.once('connect', () => d.upstream?.end());
    return;
  }
  if (!d.connected) {
    d.pending.push(message);
    return;
  }
  d.upstream?.write(message);
  if ((d.upstream?.writableLength ?? 0) > PORT_BUFFER_LIMIT) {
    d.upstream?.destroy();
    ws.close(1011, 'the workspace reads too slowly');
  }
}

/**
 * Attaches the socket to the session it names (`?session=`) or to a new one, then sends
 * `{"type":"session","id","created","replayBytes"}` and the replay: the output the session kept, which redraws
 * the screen as it was. A session id this workspace and user do not have ends the socket with 4404.
 */
function attachTerminal(
  ws: ServerWebSocket<SocketData> & { data: TerminalData },
  terminals: TerminalSessions,
): void {
  const d = ws.data;
  let t: HostedTerminal | undefined;
  const created = d.sessionId === undefined;
  if (d.sessionId !== undefined) {
    t = terminals.find(d.target.id, d.token.userId, d.sessionId);
    if (!t) {
      ws.close(TERMINAL_CLOSE.notFound, 'terminal session not found');
      return;
    }
  } else {
    try {
      t = terminals.open(d.target, d.token.userId, d.cols, d.rows, d.command);
    } catch (e) {
      if (e instanceof TerminalLimitError) ws.close(TERMINAL_CLOSE.tooMany, e.message);
      else ws.close(1011, `terminal could not start: ${(e as Error).message}`.slice(0, 120));
      return;
    }
  }
  const client = {
    data: (bytes: Uint8Array) => ws.sendBinary(bytes),
    ended: (code: number, reason: string) => {
      d.session = undefined;
      ws.close(code, reason);
    },
  };
  d.session = t;
  d.client = client;
  const replay = t.attach(client, d.cols, d.rows);
  ws.send(JSON.stringify({ type: 'session', id: t.id, created, replayBytes: replay.length }));
  if (replay.length > 0) ws.sendBinary(replay);
}
