// POST /api/v1/workspaces/{id}/git-token: a node gets a GitHub token for a workspace it hosts.
import { Elysia } from 'elysia';
import { GitToken, IdParams } from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';
import { authorizeGitTokenRequest } from '../github/index.ts';
import { requireGitHub, unwrap } from './github-outcome.ts';
import { nodeSecurity, responses } from './responses.ts';

export function gitTokenRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'git-tokens', prefix: '/api/v1/workspaces' }).post(
    '/:id/git-token',
    async ({ request, params, set }) => {
      // The same node-certificate check as the heartbeat; any node may ask, only for its own workspaces.
      const claims = await deps.auth.node(request);
      set.headers['cache-control'] = 'no-store';
      if (!deps.github) {
        // Refuse unknown and foreign workspaces the same way first, then say GitHub is off.
        unwrap(authorizeGitTokenRequest(await deps.store.workspaces.get(params.id), claims.sub), set);
      }
      return unwrap(await requireGitHub(deps).tokens.issue(params.id, claims.sub), set);
    },
    {
      params: IdParams,
      response: responses(GitToken, 400, 401, 404, 409, 502, 503),
      detail: {
        operationId: 'mintGitToken',
        summary:
          "A GitHub installation token for the workspace's project repositories (node certificate; only the hosting node)",
        tags: ['workspaces'],
        security: nodeSecurity,
      },
    },
  );
}
