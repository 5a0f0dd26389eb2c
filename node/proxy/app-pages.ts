// Pages instead of the error shape for a browser loading a page of an app on its own origin: the node's own
// refusals (no such workspace, not allowed, not running yet) say what happened in words; API clients keep JSON.
import { MESSAGE_PAGE_HEADERS, type MessagePage, messagePageHtml, wantsPage } from '../../contract/index.ts';
import { ownErrorMessage } from './responses.ts';
import type { WorkspaceRoute } from './route.ts';

/**
 * True for a browser's page load of an app on its own origin (`ws-{id}.<base domain>`): a GET or HEAD that asks
 * for HTML and carries no bearer token. Path mode is for bearer clients; a WebSocket is no page.
 */
export function appPageLoad(req: Request, route: WorkspaceRoute, websocket: boolean): boolean {
  return (
    !websocket &&
    route.prefix === '' &&
    (req.method === 'GET' || req.method === 'HEAD') &&
    !req.headers.has('authorization') &&
    wantsPage(req.headers)
  );
}

const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;

/**
 * `res` as a page when this node built it as an error (an app's own answer is never touched); the status and
 * Retry-After stay, and a page for a workspace that is not running yet reloads itself after Retry-After.
 */
export function asAppPage(res: Response, route: WorkspaceRoute, controlOrigin: string | undefined): Response {
  const message = ownErrorMessage(res);
  if (message === undefined) return res;
  const ui = controlOrigin
    ? `${controlOrigin}/workspaces/${encodeURIComponent(route.workspaceId)}`
    : undefined;
  const link = ui ? { link: { href: ui, text: 'Open the workspace in Warren' } } : {};
  let page: MessagePage;
  if (res.status === 503) {
    const retry = Number(res.headers.get('retry-after') ?? '5');
    page = {
      title: 'The app is not ready',
      paragraphs: [sentence(message), 'This page tries again by itself in a few seconds.'],
      refreshSeconds: Number.isFinite(retry) ? retry : 5,
      ...link,
    };
  } else if (res.status === 404) {
    page = {
      title: 'No such app',
      paragraphs: ['This workspace does not exist here, or it was deleted.'],
      ...(controlOrigin
        ? { link: { href: `${controlOrigin}/workspaces`, text: 'Your workspaces in Warren' } }
        : {}),
    };
  } else if (res.status === 403) {
    page = { title: 'Not allowed', paragraphs: ['Your sign-in does not let you open this app.'], ...link };
  } else if (res.status === 401) {
    page = {
      title: 'Open this app from Warren',
      paragraphs: ['This app needs a sign-in: open it from its workspace page in Warren.'],
      ...link,
    };
  } else return res;
  const headers: Record<string, string> = { ...MESSAGE_PAGE_HEADERS };
  const retryAfter = res.headers.get('retry-after');
  if (retryAfter) headers['retry-after'] = retryAfter;
  return new Response(messagePageHtml(page), { status: res.status, headers });
}
