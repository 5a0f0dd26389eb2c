// The upstream half of a WebSocket bridge: a socket to the app (or the hosting node) with the client's protocols.
import type { VerifiedToken } from '../auth/index.ts';
import type { BridgeData } from './socket-data.ts';

/**
 * Opens `url` with the client's `Sec-WebSocket-Protocol` list and `headers`, and returns the bridge's data:
 * messages that arrive before the client's socket is attached wait in `pending`.
 */
export function openUpstreamSocket(
  url: string,
  req: Request,
  headers: Record<string, string> | Headers,
  token: VerifiedToken,
): BridgeData {
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
  return data;
}
