// Headers sent to a workspace: the client's minus credentials, hop-by-hop, forwarding and identity headers, plus ours.
import { withoutWarrenCookies } from './credentials.ts';
import { HOP_BY_HOP, WEBSOCKET_HANDSHAKE } from './hop-by-hop.ts';

/** Headers never forwarded: hop-by-hop, credentials, and identity claims a client could forge. */
const DROP = new Set([
  ...HOP_BY_HOP,
  'authorization',
  'proxy-authorization',
  'host',
  'forwarded',
  'via',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'x-remote-user',
  'x-remote-addr',
  'x-user',
  'x-user-id',
  'x-auth-user',
  'x-auth-request-user',
  'x-auth-request-email',
  'x-authenticated-user',
  'remote-user',
]);

export interface ForwardInfo {
  /** The client's address as the node saw it. */
  clientIp: string;
  /** The real Host header of the request (never a client's X-Forwarded-Host). */
  host: string;
  proto: 'http' | 'https';
  /** `/w/{id}` in path mode, empty in host mode. */
  prefix: string;
  userId: string;
}

/**
 * True when a client header must not reach the workspace. Names with `_` go too: frameworks that map headers to
 * `HTTP_X_FORWARDED_FOR`-style variables (CGI, WSGI, Rack, PHP) read `X_Forwarded_For` as `X-Forwarded-For`,
 * which would get round every rule here.
 */
function dropped(name: string, websocket: boolean): boolean {
  return (
    DROP.has(name) ||
    name.includes('_') ||
    name.startsWith('x-forwarded-') ||
    name.startsWith('x-warren-') ||
    (websocket && WEBSOCKET_HANDSHAKE.has(name))
  );
}

/**
 * The complete HTTP/1.1 request head for a body-less request to the app on `port`, built as one string
 * (the hot path: no Headers object). Header values cannot hold CR/LF: Bun's parser refused those already.
 */
export function forwardHead(
  method: string,
  target: string,
  port: number,
  incoming: Iterable<[string, string]>,
  info: ForwardInfo,
  /** A WebSocket handshake piped to the app as bytes: the app answers it, so its headers go along. */
  upgrade = false,
): string {
  let h = `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`;
  for (const [name, value] of incoming) {
    if (upgrade && (name === 'upgrade' || name === 'connection' || WEBSOCKET_HANDSHAKE.has(name))) {
      h += `${name}: ${value}\r\n`;
      continue;
    }
    if (dropped(name, false)) continue;
    if (name === 'cookie') {
      const kept = withoutWarrenCookies(value);
      if (kept !== undefined) h += `cookie: ${kept}\r\n`;
      continue;
    }
    h += `${name}: ${value}\r\n`;
  }
  h += `x-forwarded-for: ${info.clientIp}\r\nx-forwarded-host: ${info.host}\r\nx-forwarded-proto: ${info.proto}\r\n`;
  if (info.prefix) h += `x-forwarded-prefix: ${info.prefix}\r\n`;
  return `${h}x-warren-user: ${info.userId}\r\n\r\n`;
}

/** Builds the upstream request headers. */
export function forwardHeaders(incoming: Headers, info: ForwardInfo, websocket: boolean): Headers {
  const out = new Headers();
  for (const [name, value] of incoming) {
    if (dropped(name, websocket)) continue;
    if (name === 'cookie') {
      const kept = withoutWarrenCookies(value);
      if (kept !== undefined) out.append(name, kept);
      continue;
    }
    out.append(name, value);
  }
  out.set('x-forwarded-for', info.clientIp);
  out.set('x-forwarded-host', info.host);
  out.set('x-forwarded-proto', info.proto);
  if (info.prefix) out.set('x-forwarded-prefix', info.prefix);
  out.set('x-warren-user', info.userId);
  return out;
}
