// Server-side WebSocket events: pump bridge traffic both ways, or wire a terminal socket to its PTY.
import type { ServerWebSocket, WebSocketHandler } from 'bun';
import { openTerminal, parseTerminalMessage, type Runtime } from '../workspaces/index.ts';
import type { SocketData, TerminalData } from './socket-data.ts';
import { sendableCode } from './workspace-proxy.ts';

/** The handler Bun.serve calls for every upgraded socket. */
export function createSocketHandler(runtime: Runtime, shell: string): WebSocketHandler<SocketData> {
  return {
    // Terminal output and app traffic can be bursty; past 16 MiB queued the client is too slow and is dropped.
    backpressureLimit: 16 * 1024 * 1024,
    closeOnBackpressureLimit: true,
    open(ws) {
      const d = ws.data;
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
      d.detach?.();
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

function startTerminal(
  ws: ServerWebSocket<SocketData> & { data: TerminalData },
  runtime: Runtime,
  shell: string,
): void {
  const d = ws.data;
  try {
    d.session = openTerminal(d.target, {
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
