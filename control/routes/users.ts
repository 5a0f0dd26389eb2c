// Users: admins create, list, approve, re-invite, disable, enable and delete them.
import { Elysia } from 'elysia';
import { IdParams, list, newId, User, UserCreate, UserCreated, UserLoginLink } from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';
import { ControlError, notFound } from '../errors.ts';
import { responses, userSecurity } from './responses.ts';
import { revokeSubject } from './revocations.ts';
import { userView } from './views.ts';

export function userRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'users', prefix: '/api/v1/users' })
    .post(
      '',
      async ({ request, body }) => {
        await deps.auth.user(request, 'admin');
        if (body.email && (await deps.store.users.getByEmail(body.email)))
          throw new ControlError(
            'conflict',
            'a user with this email exists; send them a new sign-in link instead',
          );
        const user = await deps.store.users.insert({
          id: newId('user'),
          name: body.name,
          email: body.email ?? null,
          role: body.role,
          createdAt: deps.clock.now(),
        });
        const token = await deps.credentials.apiToken(user.id, 'initial', ['read', 'write']);
        return {
          user: userView(user),
          loginLink: await deps.credentials.loginLink(user.id, deps.publicUrl),
          apiToken: token.secret,
        };
      },
      {
        body: UserCreate,
        response: responses(UserCreated, 400, 401, 403, 409),
        detail: {
          operationId: 'createUser',
          summary: 'Create a user (admin)',
          tags: ['users'],
          security: userSecurity,
        },
      },
    )
    .get(
      '',
      async ({ request }) => {
        await deps.auth.user(request, 'admin');
        return { items: (await deps.store.users.list()).map(userView) };
      },
      {
        response: responses(list(User), 401, 403),
        detail: {
          operationId: 'listUsers',
          summary: 'List users (admin)',
          tags: ['users'],
          security: userSecurity,
        },
      },
    )
    .post(
      '/:id/approve',
      async ({ request, params }) => {
        await deps.auth.user(request, 'admin');
        const user = await deps.store.users.setStatus(params.id, 'active');
        if (!user) throw notFound('user');
        return userView(user);
      },
      {
        params: IdParams,
        response: responses(User, 400, 401, 403, 404),
        detail: {
          operationId: 'approveUser',
          summary: 'Approve a user waiting after signing in with GitHub (admin)',
          tags: ['users'],
          security: userSecurity,
        },
      },
    )
    .post(
      '/:id/login-link',
      async ({ request, params }) => {
        await deps.auth.user(request, 'admin');
        const user = await deps.store.users.get(params.id);
        if (!user) throw notFound('user');
        if (user.disabledAt !== null)
          throw new ControlError('conflict', 'the user is disabled; enable them first');
        return { loginLink: await deps.credentials.loginLink(user.id, deps.publicUrl) };
      },
      {
        params: IdParams,
        response: responses(UserLoginLink, 400, 401, 403, 404, 409),
        detail: {
          operationId: 'createUserLoginLink',
          summary: 'A fresh one-time sign-in link for a user (admin)',
          tags: ['users'],
          security: userSecurity,
        },
      },
    )
    .post(
      '/:id/disable',
      async ({ request, params }) => {
        const p = await deps.auth.user(request, 'admin');
        if (p.user.id === params.id) throw new ControlError('conflict', 'you cannot disable yourself');
        const user = await deps.store.users.setDisabled(params.id, deps.clock.now());
        if (!user) throw notFound('user');
        // Their sessions, API tokens and workspace tokens end now, on the control plane and on every node.
        await revokeSubject(deps, `user:${user.id}`);
        return userView(user);
      },
      {
        params: IdParams,
        response: responses(User, 400, 401, 403, 404, 409),
        detail: {
          operationId: 'disableUser',
          summary: 'Disable a user: every session and token of theirs ends at once (admin)',
          tags: ['users'],
          security: userSecurity,
        },
      },
    )
    .post(
      '/:id/enable',
      async ({ request, params }) => {
        await deps.auth.user(request, 'admin');
        const user = await deps.store.users.setDisabled(params.id, null);
        if (!user) throw notFound('user');
        return userView(user);
      },
      {
        params: IdParams,
        response: responses(User, 400, 401, 403, 404),
        detail: {
          operationId: 'enableUser',
          summary: 'Enable a disabled user; they sign in again with a new link (admin)',
          tags: ['users'],
          security: userSecurity,
        },
      },
    )
    .delete(
      '/:id',
      async ({ request, params }) => {
        const p = await deps.auth.user(request, 'admin');
        if (p.user.id === params.id) throw new ControlError('conflict', 'you cannot delete yourself');
        const user = await deps.store.users.get(params.id);
        if (!user) throw notFound('user');
        // Deleting the row would take their workspaces' rows with it while the workspaces still run on nodes.
        if ((await deps.store.workspaces.list(user.id)).length > 0)
          throw new ControlError('conflict', 'the user still has workspaces; delete those first');
        await revokeSubject(deps, `user:${user.id}`);
        await deps.store.users.remove(user.id);
        return userView(user);
      },
      {
        params: IdParams,
        response: responses(User, 400, 401, 403, 404, 409),
        detail: {
          operationId: 'deleteUser',
          summary: 'Delete a user and end every session and token of theirs (admin)',
          tags: ['users'],
          security: userSecurity,
        },
      },
    );
}
