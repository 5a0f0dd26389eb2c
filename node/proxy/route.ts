// Which workspace a request is for: Host `ws-{id}.{baseDomain}` first (the real Host only), else path `/w/{id}/…`.
import type { WorkspaceScope } from '../../contract/index.ts';

/** A request addressed to a workspace. */
export interface WorkspaceRoute {
  workspaceId: string;
  /** The path the workspace sees (prefix removed), always starting with `/`. */
  path: string;
  /** `?…` including the question mark, or the empty string. */
  search: string;
  /** `/w/{id}` in path mode, `` in host mode: where the workspace's root is for the client. */
  prefix: string;
}

const ID_RE = /^ws[0-9a-hjkmnp-tv-z]{20}$/;

/** Routes a request by its raw URL and Host header; undefined when it is not for a workspace. */
export function routeRequest(
  url: string,
  host: string | null,
  baseDomain: string,
): WorkspaceRoute | undefined {
  const pathStart = url.indexOf('/', url.indexOf('://') + 3);
  return routeTarget(pathStart < 0 ? '/' : url.slice(pathStart), host, baseDomain);
}

/** Routes by the request target (`/path?query`, as on the request line) and the Host header. */
export function routeTarget(
  target: string,
  host: string | null | undefined,
  baseDomain: string,
): WorkspaceRoute | undefined {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const search = q < 0 ? '' : target.slice(q);
  if (host?.startsWith('ws-')) {
    const colon = host.indexOf(':');
    const name = (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
    if (name.length === 3 + 22 + 1 + baseDomain.length && name.endsWith(baseDomain) && name[25] === '.') {
      const id = name.slice(3, 25);
      if (ID_RE.test(id)) return { workspaceId: id, path, search, prefix: '' };
    }
  }
  if (path.startsWith('/w/')) {
    const end = path.indexOf('/', 3);
    const id = path.slice(3, end < 0 ? undefined : end);
    return { workspaceId: id, path: end < 0 ? '/' : path.slice(end), search, prefix: `/w/${id}` };
  }
  return undefined;
}

/**
 * Paths under a workspace that the node answers itself (cookie exchange, terminal, logs, agent, port
 * tunnels), never the app.
 * Every path that reaches the app must pass through here first, including the raw front's fast path.
 */
export function isNodePath(path: string): boolean {
  return (
    path === '/_auth' ||
    path === '/_terminal' ||
    path.startsWith('/_terminal/') ||
    path === '/_logs' ||
    path === '/_agent' ||
    path.startsWith('/_agent/') ||
    path.startsWith(PORT_PREFIX)
  );
}

const PORT_PREFIX = '/_port/';

/**
 * The scope a token needs for `path` under a workspace: the node's own endpoints each have theirs (a port
 * tunnel needs `ports`); everything else is the app (`http`).
 */
export function scopeOf(path: string): WorkspaceScope {
  if (path === '/_terminal' || path.startsWith('/_terminal/')) return 'terminal';
  if (path === '/_logs') return 'logs';
  if (path === '/_agent' || path === '/_agent/search') return 'agent';
  if (path.startsWith(PORT_PREFIX)) return 'ports';
  return 'http';
}

/**
 * The port of a port-forward path (`/_port/{port}`); undefined when the path is not one, 0 when the port is
 * not a whole number from 1 to 65535.
 */
export function forwardedPort(path: string): number | undefined {
  if (!path.startsWith(PORT_PREFIX)) return undefined;
  const raw = path.slice(PORT_PREFIX.length);
  const port = /^[1-9][0-9]{0,4}$/.test(raw) ? Number(raw) : 0;
  return port <= 65535 ? port : 0;
}

/** A Host a request may carry: a DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST_RE = /^(?:[A-Za-z0-9_.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
const HOST_LINE = /\r\nhost:[ \t]*([^\r]*)/gi;

/**
 * True when `host` is a Host header the node accepts. A request without one, with two, or with one Bun cannot
 * build a URL from (`a b`, `a@b`, `[zz`) is refused with a 400 before anything routes or reads it.
 */
export function validHost(host: string | null | undefined): host is string {
  return typeof host === 'string' && HOST_RE.test(host);
}

/** The Host of a raw request head (request line and header lines, CRLF-separated); undefined if absent or repeated. */
export function requestHost(head: string): string | undefined {
  let host: string | undefined;
  for (const m of head.matchAll(HOST_LINE)) {
    if (host !== undefined) return undefined;
    host = m[1]!.trimEnd();
  }
  return host;
}

/** True when `id` has the shape of a workspace id. */
export function isWorkspaceId(id: string): boolean {
  return ID_RE.test(id);
}
