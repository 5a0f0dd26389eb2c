// Users: admins create, list and approve them.
import { Elysia } from 'elysia';
import { IdParams, list, newId, User, UserCreate, UserCreated } from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { responses, userSecurity } from './responses.ts';
import { userView } from './views.ts';

export function userRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'users', prefix: '/api/v1/users' })
    .post(
      '',
      async ({ request, body }) => {
        await deps.auth.user(request, 'admin');
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
        response: responses(UserCreated, 400, 401, 403),
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
    );
}
