// The one WebSocket bridge of the full server: a client socket joined to an upstream WebSocket (the workspace's app,
// or the node that hosts the workspace), message for message, each end's close ending the other.
import type { Server, ServerWebSocket } from 'bun';
import type { VerifiedToken } from '../auth/index.ts';
import { errorResponse } from './responses.ts';
import type { BridgeData, SocketData } from './socket-data.ts';

/**
 * Opens `url` with the client's `Sec-WebSocket-Protocol` list and `headers`, and resolves with the bridge's data
 * once it is open; undefined (and closed) when it errs, closes or does not open within `timeoutMs`. Messages that
 * arrive before the client's socket is attached wait in `pending`.
 */
export async function openBridge(
  url: string,
  req: Request,
  headers: Record<string, string> | Headers,
  token: VerifiedToken,
  timeoutMs: number,
): Promise<BridgeData | undefined> {
  const protocols = (req.headers.get('sec-websocket-protocol') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const upstream = new WebSocket(url, { headers, protocols } as unknown as string[]);
  upstream.binaryType = 'arraybuffer';
  const data: BridgeData = {
    kind: 'bridge',
    token,
    upstream,
    client: undefined,
    pending: [],
    detach: undefined,
  };
  upstream.onmessage = (e: MessageEvent) => {
    if (data.client) data.client.send(e.data as string | ArrayBuffer);
    else data.pending.push(e.data as string | ArrayBuffer);
  };
  const opened = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    upstream.onopen = () => {
      clearTimeout(timer);
      resolve(true);
    };
    upstream.onerror = upstream.onclose = () => {
      clearTimeout(timer);
      resolve(false);
    };
  });
  if (opened) return data;
  upstream.close();
  return undefined;
}

/**
 * Upgrades the client onto an open bridge with the subprotocol the upstream chose; from then on the upstream's
 * close or error closes the client. Undefined once upgraded; when the upgrade fails, the upstream is closed,
 * `detach` runs and the answer is a 400.
 */
export function upgradeToBridge(
  req: Request,
  server: Server<SocketData>,
  data: BridgeData,
): Response | undefined {
  const upstream = data.upstream;
  upstream.onclose = (e: CloseEvent) => data.client?.close(sendableCloseCode(e.code), e.reason);
  upstream.onerror = () => data.client?.close(1011, 'upstream error');
  const headers: Record<string, string> = {};
  if (upstream.protocol) headers['sec-websocket-protocol'] = upstream.protocol;
  if (server.upgrade(req, { data, headers })) return undefined;
  upstream.close();
  data.detach?.();
  return errorResponse('invalid_request', 'WebSocket upgrade failed');
}

/** The client's socket opened: messages the upstream sent meanwhile go first. */
export function bridgeOpened(ws: ServerWebSocket<SocketData>, d: BridgeData): void {
  d.client = ws;
  for (const m of d.pending) ws.send(m);
  d.pending.length = 0;
}

/** A client message goes upstream while the upstream is open. */
export function bridgeMessage(d: BridgeData, message: string | Buffer<ArrayBuffer>): void {
  if (d.upstream.readyState === WebSocket.OPEN) d.upstream.send(message);
}

/** The client's socket closed with `code`: the upstream closes with it (a code it may send). */
export function bridgeClosed(d: BridgeData, code: number, reason: string): void {
  d.client = undefined;
  if (d.upstream.readyState <= WebSocket.OPEN) d.upstream.close(sendableCloseCode(code), reason);
}

/**
 * A close code one end may send for a code the other end's close reported: 1005, 1006 and 1015 only describe
 * a close (RFC 6455 §7.4.1) and codes outside 1000–4999 are not valid, so those become 1000; others pass through.
 */
export function sendableCloseCode(code: number): number {
  return code === 1005 || code === 1006 || code === 1015 || code < 1000 || code >= 5000 ? 1000 : code;
}
