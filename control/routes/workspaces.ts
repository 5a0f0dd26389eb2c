// Workspaces: create, list, get, edit, start, stop, retry, delete, and workspace access tokens.
import { Elysia } from 'elysia';
import * as v from 'valibot';
import {
  AppLinkQuery,
  appReturnPath,
  ERROR_STATUS,
  IdParams,
  list,
  WORKSPACE_TOKEN_TTL,
  Workspace,
  WorkspaceCreate,
  WorkspaceToken,
  WorkspaceTokenRequest,
  WorkspaceUpdate,
  wantsPage,
} from '../../contract/index.ts';
import type { ControlDeps } from '../deps.ts';
import { ControlError } from '../errors.ts';
import type { PlacedWorkspace } from '../workspaces/index.ts';
import { messagePage } from './pages.ts';
import { responses, userSecurity } from './responses.ts';
import { appOrigin, workspaceView } from './views.ts';

export function workspaceRoutes(deps: ControlDeps) {
  const placed = ({ workspace, node }: PlacedWorkspace) => workspaceView(workspace, node?.address ?? null);
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
      async ({ request, body }) => {
        const { workspace, node } = await deps.workspaces.create(
          await deps.auth.user(request, 'write'),
          body,
        );
        return workspaceView(workspace, node?.address ?? null);
      },
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
        placed(await deps.workspaces.update(await deps.auth.user(request, 'write'), params.id, body)),
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
        placed(await deps.workspaces.retry(await deps.auth.user(request, 'write'), params.id)),
      { ...one, detail: doc('retryWorkspace', 'Start a workspace in error (or degraded) afresh') },
    )
    .post(
      '/:id/start',
      async ({ request, params }) =>
        placed(await deps.workspaces.start(await deps.auth.user(request, 'write'), params.id)),
      { ...one, detail: doc('startWorkspace', 'Ask for a workspace to run') },
    )
    .post(
      '/:id/stop',
      async ({ request, params }) =>
        placed(await deps.workspaces.stop(await deps.auth.user(request, 'write'), params.id)),
      { ...one, detail: doc('stopWorkspace', 'Ask for a workspace to stop') },
    )
    .delete(
      '/:id',
      async ({ request, params }) =>
        placed(await deps.workspaces.remove(await deps.auth.user(request, 'write'), params.id)),
      { ...one, detail: doc('deleteWorkspace', 'Delete a workspace') },
    )
    .get(
      '/:id/app',
      async ({ request, params, query }) => {
        try {
          const p = await deps.auth.user(request, 'write');
          const { workspace: row, node } = await deps.workspaces.getWithNode(p, params.id);
          if (row.desiredState === 'deleted')
            throw new ControlError('illegal_transition', 'the workspace is being deleted');
          const app = node?.baseDomain ? appOrigin(node.address, node.baseDomain, row.id) : null;
          if (!app)
            throw new ControlError(
              'conflict',
              'the workspace has no node with an app domain a browser can reach (start the node with --base-domain)',
            );
          const minted = await deps.issuer.workspaceAccess({
            userId: p.user.id,
            workspaceId: row.id,
            scopes: ['http'],
            ttlSeconds: WORKSPACE_TOKEN_TTL.default,
          });
          // The token travels only to the app's own origin, whose node swaps it for the cookie before the app
          // sees anything; the return path is one on that origin, never a URL of its own.
          const back = appReturnPath(query.path);
          return new Response(null, {
            status: 303,
            headers: {
              location: `${app}/_auth?token=${encodeURIComponent(minted.token)}&return=${encodeURIComponent(back)}`,
              'cache-control': 'no-store',
              'referrer-policy': 'no-referrer',
            },
          });
        } catch (e) {
          if (e instanceof ControlError && wantsPage(request.headers)) return appLinkPage(e, params.id);
          throw e;
        }
      },
      {
        params: IdParams,
        query: AppLinkQuery,
        response: { ...responses(v.string(), 400, 401, 403, 404, 409), 303: v.string() },
        detail: doc(
          'openWorkspaceApp',
          "Open a workspace's app in a browser: mints an http token for the caller and redirects (303) to the app's `/_auth` on its own origin, then to `path` there. A node sends a browser whose app cookie expired here; browsers get a page for an error, API clients the error shape",
        ),
      },
    )
    .post(
      '/:id/tokens',
      async ({ request, params, body }) => {
        const p = await deps.auth.user(request, 'write');
        const target = await deps.workspaces.accessTarget(p, params.id);
        if (target.desiredState === 'deleted')
          throw new ControlError('illegal_transition', 'the workspace is being deleted');
        const minted = await deps.issuer.workspaceAccess({
          userId: p.user.id,
          workspaceId: target.id,
          scopes: body.scopes,
          ttlSeconds: body.ttlSeconds,
          ...(body.ports ? { ports: body.ports } : {}),
        });
        return {
          token: minted.token,
          expiresAt: new Date(minted.expiresAt * 1000).toISOString(),
          workspaceId: target.id,
          nodeId: target.nodeId,
          nodeUrl: target.nodeAddress,
          appUrl:
            target.nodeAddress && target.nodeBaseDomain
              ? appOrigin(target.nodeAddress, target.nodeBaseDomain, target.id)
              : null,
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

/** What a browser shows when an app link cannot be followed: sign in first, or why the app cannot open. */
function appLinkPage(e: ControlError, workspaceId: string): Response {
  const status = ERROR_STATUS[e.code];
  if (e.code === 'unauthorized')
    return messagePage(
      status,
      'Sign in to Warren to open this app',
      [
        'The app asked for a fresh sign-in: its cookie expired, and this browser has no Warren session to get a new one.',
        'Sign in to Warren in this browser, then open the app again from its workspace page.',
      ],
      { href: '/', text: 'Sign in to Warren' },
    );
  return messagePage(
    status,
    e.code === 'not_found' ? 'No such workspace' : 'This app cannot be opened',
    [
      e.code === 'not_found'
        ? 'This workspace does not exist, or your account cannot see it.'
        : e.message.charAt(0).toUpperCase() + e.message.slice(1),
    ],
    {
      href: e.code === 'not_found' ? '/workspaces' : `/workspaces/${encodeURIComponent(workspaceId)}`,
      text: e.code === 'not_found' ? 'Your workspaces' : 'Open the workspace in Warren',
    },
  );
}
