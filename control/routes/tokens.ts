// API tokens of the calling user: create (secret shown once), list, revoke.
import { Elysia } from 'elysia';
import { ApiToken, ApiTokenCreate, ApiTokenCreated, IdParams, list } from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';
import { forbidden, notFound } from '../errors.ts';
import { responses, userSecurity } from './responses.ts';
import { apiTokenView } from './views.ts';

export function tokenRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'tokens', prefix: '/api/v1/tokens' })
    .post(
      '',
      async ({ request, body }) => {
        const p = await deps.auth.user(request, 'write');
        // A token never holds more than its creator: no escalation through a derived token.
        for (const s of body.scopes)
          if (!p.scopes.includes(s) || (s === 'admin' && p.role !== 'admin'))
            throw forbidden(`cannot grant the ${s} scope`);
        const { row, secret } = await deps.credentials.apiToken(
          p.user.id,
          body.name,
          body.scopes,
          body.ttlSeconds,
        );
        return { ...apiTokenView(row), token: secret };
      },
      {
        body: ApiTokenCreate,
        response: responses(ApiTokenCreated, 400, 401, 403),
        detail: {
          operationId: 'createApiToken',
          summary: 'Create an API token',
          tags: ['tokens'],
          security: userSecurity,
        },
      },
    )
    .get(
      '',
      async ({ request }) => {
        const p = await deps.auth.user(request, 'read');
        return { items: (await deps.store.apiTokens.listOfUser(p.user.id)).map(apiTokenView) };
      },
      {
        response: responses(list(ApiToken), 401, 403),
        detail: {
          operationId: 'listApiTokens',
          summary: 'List my API tokens',
          tags: ['tokens'],
          security: userSecurity,
        },
      },
    )
    .delete(
      '/:id',
      async ({ request, params }) => {
        const p = await deps.auth.user(request, 'write');
        const row = await deps.store.apiTokens.revoke(params.id, p.user.id, deps.clock.now());
        if (!row) throw notFound('token');
        return apiTokenView(row);
      },
      {
        params: IdParams,
        response: responses(ApiToken, 400, 401, 403, 404),
        detail: {
          operationId: 'revokeApiToken',
          summary: 'Revoke one of my API tokens',
          tags: ['tokens'],
          security: userSecurity,
        },
      },
    );
}
