// Which browser origins may use a workspace's cookie on a WebSocket: the app's own origin and the control UI's.
import { findProof } from './credentials.ts';
import type { WorkspaceRoute } from './route.ts';

/** What the node knows about the pages that may use a workspace's cookie. */
export interface OriginPolicy {
  /** The control plane's UI origin (`http://127.0.0.1:7400`), from the node's control URL. */
  controlOrigin: string | undefined;
  /** `--allow-path-apps`: a path-mode app's page on the node's own origin counts as the app's own too. */
  allowPathApps: boolean;
}

/**
 * True when a WebSocket handshake that presents the workspace's cookie comes from a page allowed to hold it: the
 * app's own origin — the Origin names the host the request was sent to, `ws-{id}.<base domain>[:port]` by which
 * it was routed (either scheme: a TLS proxy may sit in front) — or the control UI's. Browsers attach cookies to
 * same-site WebSocket handshakes from other origins (a sibling `ws-…` app under a shared domain, another port of
 * the same host) and apply no CORS to them, so without this such a page could open a terminal or an app socket
 * with the owner's cookie. A handshake without an Origin is no browser's: such clients present a token.
 */
export function cookieSocketAllowed(
  origin: string | null | undefined,
  route: WorkspaceRoute,
  host: string | null | undefined,
  policy: OriginPolicy,
): boolean {
  if (!origin) return false;
  if (policy.controlOrigin !== undefined && origin === policy.controlOrigin) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (!host || url.host !== host.toLowerCase()) return false;
  // Routed by its Host: that host is the workspace's own. Path mode shares the node's origin among all apps.
  return route.prefix === '' || policy.allowPathApps;
}

/** True when a WebSocket handshake's proof is the cookie and its page may not use it (the full server's check). */
export function foreignCookieSocket(headers: Headers, route: WorkspaceRoute, policy: OriginPolicy): boolean {
  if (findProof(headers, route.search, true)?.source !== 'cookie') return false;
  return !cookieSocketAllowed(headers.get('origin'), route, headers.get('host'), policy);
}

/** The origin of the control plane's URL, or undefined when it is not a URL. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
