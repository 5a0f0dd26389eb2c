// Workspaces: create, list, get, edit, start, stop, retry, delete, and workspace access tokens.
import { Elysia } from 'elysia';
import {
  IdParams,
  list,
  Workspace,
  WorkspaceCreate,
  WorkspaceToken,
  WorkspaceTokenRequest,
  WorkspaceUpdate,
} from '../../contract/index.ts';
import type { WorkspaceRow } from '../db/index.ts';
import type { ControlDeps } from '../deps.ts';
import { ControlError } from '../errors.ts';
import { responses, userSecurity } from './responses.ts';
import { appOrigin, workspaceView } from './views.ts';

export function workspaceRoutes(deps: ControlDeps) {
  const addressOf = async (row: WorkspaceRow) =>
    row.nodeId ? ((await deps.store.nodes.get(row.nodeId))?.address ?? null) : null;
  const present = async (row: WorkspaceRow) => workspaceView(row, await addressOf(row));
  const one = { params: IdParams, response: responses(Workspace, 400, 401, 403, 404, 409) };
  const doc = (operationId: string, summary: string) => ({
    operationId,
    summary,
    tags: ['workspaces'],
    security: userSecurity,
  });

  return new Elysia({ name: 'workspaces', prefix: '/api/v1/workspaces' })
    .post(
      '',
      async ({ request, body }) =>
        present(await deps.workspaces.create(await deps.auth.user(request, 'write'), body)),
      {
        body: WorkspaceCreate,
        response: responses(Workspace, 400, 401, 403, 404, 409),
        detail: doc(
          'createWorkspace',
          'Create a workspace, placed on a named node or the one with most room',
        ),
      },
    )
    .get(
      '',
      async ({ request }) => {
        const rows = await deps.workspaces.list(await deps.auth.user(request, 'read'));
        const addresses = new Map((await deps.store.nodes.list()).map((n) => [n.id, n.address]));
        return {
          items: rows.map((w) => workspaceView(w, w.nodeId ? (addresses.get(w.nodeId) ?? null) : null)),
        };
      },
      { response: responses(list(Workspace), 401, 403), detail: doc('listWorkspaces', 'List workspaces') },
    )
    .get(
      '/:id',
      async ({ request, params }) => {
        const { workspace, node } = await deps.workspaces.getWithNode(
          await deps.auth.user(request, 'read'),
          params.id,
        );
        return workspaceView(workspace, node?.address ?? null);
      },
      { ...one, detail: doc('getWorkspace', 'Get a workspace') },
    )
    .patch(
      '/:id',
      async ({ request, params, body }) =>
        present(await deps.workspaces.update(await deps.auth.user(request, 'write'), params.id, body)),
      {
        params: IdParams,
        body: WorkspaceUpdate,
        response: responses(Workspace, 400, 401, 403, 404, 409),
        detail: doc(
          'updateWorkspace',
          'Change name, commands, environment or limits; a running workspace restarts with them (409: name taken)',
        ),
      },
    )
    .post(
      '/:id/retry',
      async ({ request, params }) =>
        present(await deps.workspaces.retry(await deps.auth.user(request, 'write'), params.id)),
      { ...one, detail: doc('retryWorkspace', 'Start a workspace in error (or degraded) afresh') },
    )
    .post(
      '/:id/start',
      async ({ request, params }) =>
        present(await deps.workspaces.start(await deps.auth.user(request, 'write'), params.id)),
      { ...one, detail: doc('startWorkspace', 'Ask for a workspace to run') },
    )
    .post(
      '/:id/stop',
      async ({ request, params }) =>
        present(await deps.workspaces.stop(await deps.auth.user(request, 'write'), params.id)),
      { ...one, detail: doc('stopWorkspace', 'Ask for a workspace to stop') },
    )
    .delete(
      '/:id',
      async ({ request, params }) =>
        present(await deps.workspaces.remove(await deps.auth.user(request, 'write'), params.id)),
      { ...one, detail: doc('deleteWorkspace', 'Delete a workspace') },
    )
    .post(
      '/:id/tokens',
      async ({ request, params, body }) => {
        const p = await deps.auth.user(request, 'write');
        const { workspace: row, node } = await deps.workspaces.getWithNode(p, params.id);
        if (row.desiredState === 'deleted')
          throw new ControlError('illegal_transition', 'the workspace is being deleted');
        const minted = await deps.issuer.workspaceAccess({
          userId: p.user.id,
          workspaceId: row.id,
          scopes: body.scopes,
          ttlSeconds: body.ttlSeconds,
          ...(body.ports ? { ports: body.ports } : {}),
        });
        return {
          token: minted.token,
          expiresAt: new Date(minted.expiresAt * 1000).toISOString(),
          workspaceId: row.id,
          nodeId: row.nodeId,
          nodeUrl: node?.address ?? null,
          appUrl: node?.baseDomain ? appOrigin(node.address, node.baseDomain, row.id) : null,
          scopes: body.scopes,
        };
      },
      {
        params: IdParams,
        body: WorkspaceTokenRequest,
        response: responses(WorkspaceToken, 400, 401, 403, 404, 409),
        detail: doc(
          'createWorkspaceToken',
          'Mint a short-lived workspace access token (http, terminal, agent, logs)',
        ),
      },
    );
}
