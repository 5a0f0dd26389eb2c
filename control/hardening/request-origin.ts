// Cross-site request forgery: a state-changing request the session cookie authenticates must come from our own pages.
import { SESSION_COOKIE } from '../auth/index.ts';
import { requestCookie } from '../routes/session-cookie.ts';

/** Methods that change state; only these need proof of where the request came from. */
export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The origins of the control plane's own pages, from the URLs it is reached at (the bound URL and
 * WARREN_PUBLIC_URL). The request's own origin (its Host) is always accepted besides these.
 */
export function ownOrigins(urls: readonly (string | undefined)[]): ReadonlySet<string> {
  const origins = new Set<string>();
  for (const url of urls) {
    if (!url) continue;
    try {
      origins.add(new URL(url).origin);
    } catch {
      // A URL that does not parse names no origin; config validation reports it.
    }
  }
  return origins;
}

/**
 * True when the authenticator would take the session cookie: it uses the cookie only when no well-formed
 * Bearer token is present (control/auth, same pattern), and a browser can send neither a Bearer header nor
 * any other custom header cross-site without a CORS preflight, which this API never grants.
 */
function sessionAuthenticated(request: Request): boolean {
  if (requestCookie(request, SESSION_COOKIE) === undefined) return false;
  return !/^Bearer\s+\S+$/i.test(request.headers.get('authorization') ?? '');
}

/**
 * Why `request` is refused as cross-site, or undefined when it may go on. Refused: a state-changing request
 * authenticated by the session cookie whose `Origin` is not one of `own` nor the request's own origin, or,
 * without `Origin`, whose `Sec-Fetch-Site` says another origin sent it. Bearer-token requests pass: a page
 * elsewhere cannot make a browser attach one.
 */
export function crossSiteRefusal(request: Request, own: ReadonlySet<string>): string | undefined {
  if (!STATE_CHANGING.has(request.method) || !sessionAuthenticated(request)) return undefined;
  const origin = request.headers.get('origin');
  if (origin !== null) {
    // The Host a browser sends is the host it connects to, so a page of another origin never matches it
    // (behind a proxy that rewrites Host, WARREN_PUBLIC_URL names the origin browsers use).
    if (own.has(origin) || origin === new URL(request.url).origin) return undefined;
    return `a request from ${origin.slice(0, 200)} may not use this control plane's session`;
  }
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none')
    return `a ${site.slice(0, 20)} request may not use this control plane's session`;
  // Neither header: not a browser that would attach the cookie on its own (every current one sends Origin).
  return undefined;
}
