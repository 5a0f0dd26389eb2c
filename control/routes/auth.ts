// Sign-in for the UI: GET /auth/login exchanges a one-time link for a session cookie; logout and "who am I".
import { Elysia } from 'elysia';
import * as v from 'valibot';
import { LoginLinkRequest, User, wantsPage } from '../../contract/index.ts';
import { SESSION_COOKIE } from '../auth/index.ts';
import type { ControlDeps } from '../deps.ts';
import { unauthorized } from '../errors.ts';
import { hashSecret } from '../identity/index.ts';
import { messagePage } from './pages.ts';
import { responses, userSecurity } from './responses.ts';
import { clearedSessionCookie, requestCookie, sessionCookie } from './session-cookie.ts';
import { userView } from './views.ts';

export function authRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'auth' })
    .get(
      '/auth/login',
      async ({ query, request }) => {
        const session = await deps.credentials.session(query.token);
        if (!session && wantsPage(request.headers)) return spentLinkPage();
        if (!session) throw unauthorized('login link invalid, used or expired');
        return new Response(null, {
          status: 302,
          headers: { location: '/', 'set-cookie': sessionCookie(deps, session) },
        });
      },
      {
        query: LoginLinkRequest,
        // A browser that follows a spent link gets a page (text/html) saying what to do; API clients the JSON 401.
        response: { ...responses(v.string(), 400, 401), 302: v.string() },
        detail: {
          operationId: 'login',
          summary: 'Exchange a one-time login link for a session cookie, then redirect to the UI',
          tags: ['auth'],
        },
      },
    )
    .post(
      '/api/v1/auth/logout',
      async ({ request }) => {
        const p = await deps.auth.user(request, 'read');
        if (p.via === 'session') {
          const secret = requestCookie(request, SESSION_COOKIE) ?? '';
          const row = await deps.store.sessions.findByHash(hashSecret(secret));
          if (row) await deps.store.sessions.revoke(row.id, deps.clock.now());
        }
        return new Response(JSON.stringify(userView(p.user)), {
          headers: {
            'content-type': 'application/json',
            'set-cookie': clearedSessionCookie(deps),
          },
        });
      },
      {
        response: responses(User, 401),
        detail: {
          operationId: 'logout',
          summary: 'End the current UI session',
          tags: ['auth'],
          security: userSecurity,
        },
      },
    )
    .get('/api/v1/auth/me', async ({ request }) => userView((await deps.auth.user(request, 'read')).user), {
      response: responses(User, 401),
      detail: { operationId: 'getMe', summary: 'The calling user', tags: ['auth'], security: userSecurity },
    });
}

/** What a person who opened a used or expired sign-in link reads, with the way on. */
function spentLinkPage(): Response {
  return messagePage(
    401,
    'This sign-in link no longer works',
    [
      'A sign-in link works once, for a limited time, and this one has been used or has expired.',
      'If you already signed in with it in this browser, open Warren. Otherwise ask an admin for a new link ' +
        '(warren up prints one at every start), or sign in with GitHub if this Warren offers it.',
    ],
    { href: '/', text: 'Open Warren' },
  );
}
