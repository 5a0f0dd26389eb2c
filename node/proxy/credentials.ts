// The proofs a workspace request may carry, and nothing else: Bearer, the Warren cookie, ?token= on WebSockets.

/** Name of the cookie `/_auth` sets; every cookie starting with `warren_` is kept from the workspace. */
export const TOKEN_COOKIE = 'warren_token';
const COOKIE_PREFIX = 'warren_';

/** Where a token came from, for metrics and for stripping it from the upstream query. */
export type ProofSource = 'bearer' | 'cookie' | 'query';

/**
 * The token a request presents: Bearer, then `?token=` (WebSockets only), then the cookie. A token given
 * explicitly wins over the cookie the browser attaches by itself, so a `?token=` socket never depends on the
 * cookie's Origin rule (app-origin.ts).
 */
export function findProof(
  headers: Headers,
  search: string,
  websocket: boolean,
): { token: string; source: ProofSource } | undefined {
  const auth = headers.get('authorization');
  if (auth !== null && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') {
    return { token: auth.slice(7).trim(), source: 'bearer' };
  }
  if (websocket && search.length > 0) {
    const t = new URLSearchParams(search).get('token');
    if (t) return { token: t, source: 'query' };
  }
  const cookie = headers.get('cookie');
  if (cookie !== null) {
    const t = cookieValue(cookie, TOKEN_COOKIE);
    if (t) return { token: t, source: 'cookie' };
  }
  return undefined;
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Cookie header without Warren's cookies; undefined when nothing is left. */
export function withoutWarrenCookies(header: string): string | undefined {
  if (!header.includes(COOKIE_PREFIX)) return header;
  const kept = header
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p.length > 0 && !p.startsWith(COOKIE_PREFIX));
  return kept.length > 0 ? kept.join('; ') : undefined;
}

/**
 * True when a Set-Cookie value sets a Warren cookie (`warren_…`, any case): an app that could set one would plant
 * its own token or session on the client (session fixation), under the node's or the control plane's name.
 */
export function setsWarrenCookie(setCookie: string): boolean {
  return setCookie.trimStart().slice(0, COOKIE_PREFIX.length).toLowerCase() === COOKIE_PREFIX;
}

/** The app's response without its Set-Cookie headers for Warren cookies; the same object when it has none. */
export function withoutWarrenSetCookies(res: Response): Response {
  if (!res.headers.has('set-cookie')) return res;
  const cookies = res.headers.getSetCookie();
  if (!cookies.some(setsWarrenCookie)) return res;
  const headers = new Headers();
  for (const [name, value] of res.headers) if (name !== 'set-cookie') headers.append(name, value);
  for (const c of cookies) if (!setsWarrenCookie(c)) headers.append('set-cookie', c);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/**
 * A raw response head (latin1 text, CRLF lines) without its Set-Cookie lines for Warren cookies, or undefined
 * when it has none to drop (the raw front's fast path passes the app's head on byte for byte otherwise). A
 * header name is matched as a lenient client would read it (whitespace around it, any case); a folded
 * continuation of a dropped line goes with it.
 */
export function withoutWarrenSetCookieLines(head: string): string | undefined {
  if (!head.toLowerCase().includes('set-cookie')) return undefined;
  const lines = head.split('\r\n');
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    const folded = line.length > 0 && (line[0] === ' ' || line[0] === '\t');
    if (folded && dropping) continue;
    const colon = line.indexOf(':');
    dropping =
      !folded &&
      colon > 0 &&
      line.slice(0, colon).trim().toLowerCase() === 'set-cookie' &&
      setsWarrenCookie(line.slice(colon + 1));
    if (!dropping) kept.push(line);
  }
  return kept.length === lines.length ? undefined : kept.join('\r\n');
}

/** `search` without the `token` parameter (a WebSocket's query token is not the workspace's business). */
export function withoutTokenParam(search: string): string {
  if (!search.includes('token=')) return search;
  const p = new URLSearchParams(search);
  p.delete('token');
  const s = p.toString();
  return s ? `?${s}` : '';
}
