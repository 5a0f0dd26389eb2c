// App links: the control plane's "open this app" URL, the return path the node sends a browser back to, and who gets a page.

/** Where a browser gets a fresh app cookie: the control plane mints a token and sends it to the app's `/_auth`. */
export function appOpenPath(workspaceId: string, returnPath: string): string {
  return `/api/v1/workspaces/${encodeURIComponent(workspaceId)}/app?path=${encodeURIComponent(returnPath)}`;
}

/** The longest return path kept; a longer one becomes `/` (a URL of many kilobytes is no link a person followed). */
const MAX_RETURN_PATH = 2048;

/**
 * A path on the app's own origin to send the browser back to after the cookie exchange, or `/`. Only an
 * absolute path is kept: `//host` and `/\host` are other origins to a browser (a redirect there would be an
 * open redirect carrying the user off the app), and control characters could split the Location header.
 */
export function appReturnPath(raw: string | null | undefined): string {
  if (!raw || raw.length > MAX_RETURN_PATH || raw[0] !== '/') return '/';
  if (raw[1] === '/' || raw[1] === '\\') return '/';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return '/';
  }
  return raw;
}

/**
 * True when a request is a browser's page load rather than an API client's call: it asks for HTML (a top-level
 * navigation sends `Accept: text/html,…`) or says it is a navigation. Such a request gets a page or a redirect
 * where an API client gets the JSON error shape.
 */
export function wantsPage(headers: Headers): boolean {
  if (headers.get('sec-fetch-mode') === 'navigate') return true;
  return (headers.get('accept') ?? '').toLowerCase().includes('text/html');
}
