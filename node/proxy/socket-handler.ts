// Server-side WebSocket events: pump bridge traffic both ways, or wire a terminal socket to its PTY.
import type { ServerWebSocket, WebSocketHandler } from 'bun';
import { openTerminal, parseTerminalMessage, type Runtime } from '../workspaces/index.ts';
import type { LiveSessions } from './live-sessions.ts';
import { openLogSocket } from './logs-endpoint.ts';
import type { AgentData, LogsData, SocketData, TerminalData } from './socket-data.ts';
import { sendableCode } from './workspace-proxy.ts';

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
  shell: string,
  sessions: LiveSessions,
  agent?: AgentSockets,
): WebSocketHandler<SocketData> {
  const asAgent = (ws: ServerWebSocket<SocketData>) => ws as ServerWebSocket<AgentData>;
  return {
    // Terminal output and app traffic can be bursty; past 16 MiB queued the client is too slow and is dropped.
    backpressureLimit: 16 * 1024 * 1024,
    closeOnBackpressureLimit: true,
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
      if (d.kind === 'bridge') {
        d.client = ws;
        for (const m of d.pending) ws.send(m);
        d.pending.length = 0;
        return;
      }
      startTerminal(ws as ServerWebSocket<SocketData> & { data: TerminalData }, runtime, shell);
    },
    message(ws, message) {
      const d = ws.data;
      if (d.ended) return;
      if (d.kind === 'agent') return agent?.message(asAgent(ws), message);
      if (d.kind === 'logs') return;
      if (d.kind === 'bridge') {
        if (d.upstream.readyState === WebSocket.OPEN) d.upstream.send(message);
        return;
      }
      if (!d.session) return;
      if (typeof message === 'string') {
        const control = parseTerminalMessage(message);
        if (control) d.session.resize(control.cols, control.rows);
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
      if (d.kind === 'bridge') {
        d.client = undefined;
        if (d.upstream.readyState <= WebSocket.OPEN) d.upstream.close(sendableCode(code), reason);
        return;
      }
      // The shell ends with its socket.
      d.session?.close();
      d.session = undefined;
    },
  };
}

/** The socket's token lapsed: close it, and end at once what it drives rather than when the client answers. */
function endSocket(ws: ServerWebSocket<SocketData>, code: number, reason: string): void {
  const d = ws.data;
  d.ended = true;
  ws.close(code, reason);
  if (d.kind === 'terminal') {
    d.session?.close();
    d.session = undefined;
  } else if (d.kind === 'bridge' && d.upstream.readyState <= WebSocket.OPEN) {
    d.upstream.close(code, reason);
  }
}

function startTerminal(
  ws: ServerWebSocket<SocketData> & { data: TerminalData },
  runtime: Runtime,
  shell: string,
): void {
  const d = ws.data;
  try {
    d.session = openTerminal(runtime, d.target, {
      shell,
      cols: d.cols,
      rows: d.rows,
      onData: (bytes) => ws.sendBinary(bytes),
      onExit: () => ws.close(1000, 'shell exited'),
    });
  } catch (e) {
    ws.close(1011, `terminal could not start: ${(e as Error).message}`.slice(0, 120));
    return;
  }
  // Stopping or deleting the workspace ends its terminals too.
  d.detach = runtime.attach(d.target.id, () => {
    d.session?.close();
    d.session = undefined;
    ws.close(1001, 'workspace stopped');
  });
}
