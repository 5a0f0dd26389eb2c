// Sign-in with GitHub: login (state cookie, redirect), callback (user matched or created, session), providers.
import { Elysia } from 'elysia';
import * as v from 'valibot';
import { AuthProviders, GitHubCallbackQuery, GitHubLoginQuery, newId } from '../../contract/index.ts';
import type { UserRow } from '../db/index.ts';
import type { ControlDeps } from '../deps.ts';
import { ControlError } from '../errors.ts';
import type { GitHubIdentity } from '../github/index.ts';
import { requireGitHub, unwrap } from './github-outcome.ts';
import { responses } from './responses.ts';
import { requestCookie, secureFlag, sessionCookie } from './session-cookie.ts';

/** Cookie holding the sign-in `state` between login and callback, scoped to these two paths. */
export const GITHUB_STATE_COOKIE = 'warren_github_state';
const GITHUB_AUTH_PATH = '/api/v1/auth/github';
/** Where a user who must wait for approval lands instead of getting a session. */
export const PENDING_APPROVAL_LOCATION = '/?signin=pending_approval';

export function githubAuthRoutes(deps: ControlDeps) {
  const stateCookie = (value: string, maxAgeS: number) =>
    `${GITHUB_STATE_COOKIE}=${value}; HttpOnly; SameSite=Lax; Path=${GITHUB_AUTH_PATH}; Max-Age=${maxAgeS}${secureFlag(deps)}`;
  const callbackUrl = `${deps.publicUrl.replace(/\/$/, '')}${GITHUB_AUTH_PATH}/callback`;

  return new Elysia({ name: 'github-auth' })
    .get(
      '/api/v1/auth/providers',
      (): AuthProviders => ({
        github: {
          enabled: deps.github !== null,
          installUrl: deps.github?.installUrl ?? null,
          requiresApproval: deps.config.requireApproval,
        },
      }),
      {
        response: responses(AuthProviders),
        detail: {
          operationId: 'getAuthProviders',
          summary: 'Which sign-in methods this instance offers',
          tags: ['auth'],
        },
      },
    )
    .get(
      `${GITHUB_AUTH_PATH}/login`,
      async ({ query }) => {
        const github = requireGitHub(deps);
        const started = await github.signIn.start({
          redirectUrl: callbackUrl,
          ...(query.return_to ? { returnTo: query.return_to } : {}),
        });
        const maxAge = Math.max(1, Math.floor((started.expiresAt - deps.clock.now()) / 1000));
        return new Response(null, {
          status: 302,
          headers: {
            location: started.url,
            'set-cookie': stateCookie(started.state, maxAge),
            'cache-control': 'no-store',
          },
        });
      },
      {
        query: GitHubLoginQuery,
        response: { ...responses(v.string(), 400, 404), 302: v.string() },
        detail: {
          operationId: 'githubLogin',
          summary: 'Start signing in with GitHub: sets a state cookie and redirects to GitHub',
          tags: ['auth'],
        },
      },
    )
    .get(
      `${GITHUB_AUTH_PATH}/callback`,
      async ({ query, request, set }) => {
        const github = requireGitHub(deps);
        // The state cookie is one use whatever happens next.
        set.headers['set-cookie'] = stateCookie('', 0);
        if (query.error) throw new ControlError('invalid_request', 'GitHub sign-in was not completed');
        if (!query.code || !query.state)
          throw new ControlError('invalid_request', 'code and state are required');
        const signedIn = unwrap(
          await github.signIn.complete({
            code: query.code,
            state: query.state,
            cookieState: requestCookie(request, GITHUB_STATE_COOKIE) ?? null,
          }),
          set,
        );
        const user = await matchOrCreateUser(deps, request, signedIn.identity);
        await github.stores.userTokens.save(user.id, signedIn.userToken);
        const headers = new Headers({ 'cache-control': 'no-store' });
        headers.append('set-cookie', stateCookie('', 0));
        if (user.status !== 'active') {
          headers.set('location', PENDING_APPROVAL_LOCATION);
        } else {
          headers.set('location', signedIn.returnTo);
          headers.append('set-cookie', sessionCookie(deps, await deps.credentials.sessionFor(user.id)));
        }
        return new Response(null, { status: 302, headers });
      },
      {
        query: GitHubCallbackQuery,
        response: { ...responses(v.string(), 400, 404, 409, 502, 503), 302: v.string() },
        detail: {
          operationId: 'githubCallback',
          summary:
            'Finish signing in with GitHub: checks state, matches or creates the user, sets the session',
          tags: ['auth'],
        },
      },
    );
}

/**
 * The user for a GitHub identity: the one linked to that GitHub id; else the user signed in on this
 * browser (linking their account); else a new member, `pending` when the instance requires approval.
 * Users are never matched by email or login: both can change hands.
 */
async function matchOrCreateUser(
  deps: ControlDeps,
  request: Request,
  identity: GitHubIdentity,
): Promise<UserRow> {
  const users = deps.store.users;
  const linked = await users.getByGithubId(identity.githubId);
  if (linked) {
    await users.linkGithub(linked.id, identity.githubId, identity.login);
    return (await users.get(linked.id)) ?? linked;
  }
  const current = await deps.auth.user(request, 'read').catch(() => undefined);
  if (current?.via === 'session') {
    if (!(await users.linkGithub(current.user.id, identity.githubId, identity.login))) {
      throw new ControlError('conflict', 'this account is already linked to another GitHub account');
    }
    return (await users.get(current.user.id)) ?? current.user;
  }
  // Emails are unique; one already held by another user stays theirs (users are never matched by email).
  const email = identity.email && !(await users.getByEmail(identity.email)) ? identity.email : null;
  try {
    return await users.insert({
      id: newId('user'),
      name: identity.name ?? identity.login,
      email,
      role: 'member',
      status: deps.config.requireApproval ? 'pending' : 'active',
      githubId: identity.githubId,
      githubLogin: identity.login,
      createdAt: deps.clock.now(),
    });
  } catch (error) {
    // Two callbacks of the same new user raced: the unique GitHub id let one insert win; use it.
    const winner = await users.getByGithubId(identity.githubId);
    if (winner) return winner;
    throw error;
  }
}
