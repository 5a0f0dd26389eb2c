// The header names that describe one connection rather than the message: every hop of the proxy drops them.

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, plus the non-standard Proxy-Connection): they describe the connection they
 * came on, so a proxy never passes them to the next hop, in either direction.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** A WebSocket handshake's own headers (RFC 6455 §4.1): a bridge's upstream connection makes its own. */
export const WEBSOCKET_HANDSHAKE: ReadonlySet<string> = new Set([
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);
