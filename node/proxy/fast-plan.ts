// The raw front's fast path: whether a request head can go straight to a workspace app, and the head it sends.
import type { TokenVerifier, VerifiedToken } from '../auth/index.ts';
import type { Runtime } from '../workspaces/index.ts';
import { cookieSocketAllowed } from './app-origin.ts';
import { cookieValue, TOKEN_COOKIE, withoutTokenParam } from './credentials.ts';
import { forwardHead } from './forward-headers.ts';
import { HOP_HEADER } from './mesh-forward.ts';
import { isNodePath, isWorkspaceId, routeTarget } from './route.ts';

/** Control characters other than tab, and CR or LF anywhere but as a CRLF pair: never forwarded verbatim. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control bytes is what this pattern is for
const BAD_BYTES = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const METHOD = /^[A-Z]{1,16}$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A request the fast path can take once its token checks out. */
export interface FastPlan {
  token: string;
  /** HEAD: the response has no body whatever its headers say. */
  noBody: boolean;
  /** A WebSocket handshake: once the app answers 101 the connection becomes a byte pipe to it. */
  upgrade: boolean;
  /** The app's port and the request head to send it, or undefined when the full server must answer. */
  head: (t: VerifiedToken) => { host: string; port: number; text: string } | undefined;
  workspaceId: string;
  /** The request as the client sent it (header names lowercased), for a forward to the hosting node. */
  method: string;
  target: string;
  headers: [string, string][];
  /** The client's head carries the hop marker: this node must not forward it (the full server answers 421). */
  hopMarked: boolean;
}

export interface FastPlanContext {
  baseDomain: string;
  runtime: Runtime;
  verifier: TokenVerifier;
  /** As the full server's: which origins may open a WebSocket with the cookie (app-origin.ts). */
  controlOrigin?: string;
  allowPathApps?: boolean;
}

/**
 * Plans a plain, body-less HTTP/1.1 request or a WebSocket handshake to a workspace with a proof it accepts;
 * anything else (bodies, other upgrades, special paths, no proof, odd syntax) is undefined and goes to the full
 * server, which also gives every refusal its proper answer.
 */
export function planFastRequest(
  headText: string,
  clientIp: string,
  o: FastPlanContext,
): FastPlan | undefined {
  // Strict syntax only (one scan of the head, then cheap checks per part): what is forwarded verbatim must mean
  // the same to the app as it did to us.
  if (BAD_BYTES.test(headText)) return undefined;
  const lines = headText.split('\r\n');
  const first = lines[0]!;
  const sp1 = first.indexOf(' ');
  const sp2 = first.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || first.slice(sp2 + 1) !== 'HTTP/1.1') return undefined;
  const method = first.slice(0, sp1);
  const target = first.slice(sp1 + 1, sp2);
  if (!METHOD.test(method) || target.charCodeAt(0) !== 47 /* / */ || target.includes('\t')) return undefined;
  const headers: [string, string][] = [];
  let host: string | undefined;
  let auth: string | undefined;
  let cookie: string | undefined;
  let origin: string | undefined;
  let upgrade: boolean | undefined;
  let connection = 'keep-alive';
  let hopMarked = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const rawName = line.slice(0, colon);
    if (!TOKEN.test(rawName)) return undefined; // also refuses folded lines, which start with a space
    const name = rawName.toLowerCase();
    const value = line.slice(colon + 1).trim();
    switch (name) {
      case 'host':
        if (host !== undefined) return undefined;
        host = value;
        break;
      case 'authorization':
        auth = value;
        break;
      case 'cookie':
        cookie = cookie === undefined ? value : `${cookie}; ${value}`;
        break;
      case 'origin':
        if (origin !== undefined) return undefined;
        origin = value;
        break;
      case 'content-length':
        if (value !== '0') return undefined;
        break;
      // Bodies and expectations: the full server's business.
      case 'transfer-encoding':
      case 'expect':
        return undefined;
      case 'upgrade':
        if (upgrade !== undefined || value.toLowerCase() !== 'websocket') return undefined;
        upgrade = true;
        break;
      case 'connection':
        connection = value.toLowerCase();
        break;
      case HOP_HEADER:
        hopMarked = true;
        break;
    }
    headers.push([name, value]);
  }
  const route = routeTarget(target, host, o.baseDomain);
  if (!route || !isWorkspaceId(route.workspaceId) || isNodePath(route.path)) return undefined;
  const ws = upgrade === true;
  if (ws ? method !== 'GET' || !connection.includes('upgrade') : connection !== 'keep-alive')
    return undefined;
  // The same proofs, in the same order, as the full server: Bearer, `?token=` on WebSocket handshakes only
  //, then the Warren cookie; the app never sees the query token.
  let token: string | undefined;
  if (auth !== undefined && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') {
    token = auth.slice(7).trim();
  }
  if (!token && ws && route.search.includes('token=')) {
    token = new URLSearchParams(route.search).get('token') ?? undefined;
  }
  if (!token && cookie !== undefined) {
    token = cookieValue(cookie, TOKEN_COOKIE);
    // A cookie WebSocket from another origin: the full server refuses it.
    const policy = { controlOrigin: o.controlOrigin, allowPathApps: o.allowPathApps ?? false };
    if (token && ws && !cookieSocketAllowed(origin, route, host, policy)) return undefined;
  }
  if (!token) return undefined;
  const search = ws ? withoutTokenParam(route.search) : route.search;
  return {
    token,
    noBody: method === 'HEAD',
    upgrade: ws,
    workspaceId: route.workspaceId,
    method,
    target,
    headers,
    hopMarked,
    head: (t) => {
      const workspace = o.runtime.get(route.workspaceId);
      if (workspace?.status !== 'running' || workspace.port === undefined) return undefined;
      if (!o.verifier.authorize(t, route.workspaceId, workspace.ownerId, 'http').ok) return undefined;
      const info = {
        clientIp,
        host: host ?? '',
        proto: 'http' as const,
        prefix: route.prefix,
        userId: t.userId,
      };
      return {
        host: workspace.host,
        port: workspace.port,
        text: forwardHead(method, route.path + search, workspace.port, headers, info, ws),
      };
    },
  };
}
