// Nodes: join tokens (admin), join, heartbeat (node certificate), list and get, rename and drain (admin).
import { Elysia } from 'elysia';
import {
  Heartbeat,
  HeartbeatAck,
  IdParams,
  JoinTokenCreate,
  JoinTokenCreated,
  list,
  Node,
  NodeJoined,
  NodeJoinRequest,
  NodeProvisioning,
  NodeProvisionRequest,
  NodeUpdate,
} from '../../contract/index.ts';
import { keepBodyBytes } from '../auth/index.ts';
import type { ControlDeps } from '../deps.ts';
import { ControlError, notFound } from '../errors.ts';
import { mintJoinToken } from '../fleet/index.ts';
import { nodeSecurity, responses, userSecurity } from './responses.ts';
import { nodeView } from './views.ts';

export function nodeRoutes(deps: ControlDeps) {
  return new Elysia({ name: 'nodes', prefix: '/api/v1' })
    .post(
      '/join-tokens',
      async ({ request, body }) => {
        const p = await deps.auth.user(request, 'admin');
        const minted = await mintJoinToken(deps, {
          createdBy: p.user.id,
          laptop: body.laptop,
          labels: body.labels,
          ttlMs: body.ttlSeconds * 1000,
          nodeId: null,
        });
        return {
          id: minted.id,
          token: minted.token,
          expiresAt: new Date(minted.expiresAt).toISOString(),
          command: `warren node join --control ${deps.publicUrl} --token ${minted.token}`,
        };
      },
      {
        body: JoinTokenCreate,
        response: responses(JoinTokenCreated, 400, 401, 403),
        detail: {
          operationId: 'createJoinToken',
          summary: 'Create a one-use node join token (admin)',
          tags: ['nodes'],
          security: userSecurity,
        },
      },
    )
    .post('/nodes/join', ({ body }) => deps.nodes.join(body), {
      body: NodeJoinRequest,
      response: responses(NodeJoined, 400, 401),
      detail: {
        operationId: 'joinNode',
        summary: 'Join a node with a join token; returns its id and certificate',
        tags: ['nodes'],
      },
    })
    .post(
      '/nodes/:id/heartbeat',
      async ({ request, params, body }) => {
        const claims = await deps.auth.node(request, params.id);
        return deps.nodes.heartbeat(params.id, claims, body);
      },
      {
        // The node's proof covers the body's bytes as received: read them once, before the JSON.
        parse: keepBodyBytes,
        params: IdParams,
        body: Heartbeat,
        response: responses(HeartbeatAck, 400, 401),
        detail: {
          operationId: 'heartbeat',
          summary:
            'Report workspaces and load; receive assignments, revocations, keys and a renewed certificate',
          tags: ['nodes'],
          security: nodeSecurity,
        },
      },
    )
    .get(
      '/nodes',
      async ({ request }) => {
        await deps.auth.user(request, 'read');
        return { items: (await deps.store.nodes.list()).map(nodeView) };
      },
      {
        response: responses(list(Node), 401, 403),
        detail: { operationId: 'listNodes', summary: 'List nodes', tags: ['nodes'], security: userSecurity },
      },
    )
    .get(
      '/nodes/:id',
      async ({ request, params }) => {
        await deps.auth.user(request, 'read');
        const node = await deps.store.nodes.get(params.id);
        if (!node) throw notFound('node');
        return nodeView(node);
      },
      {
        params: IdParams,
        response: responses(Node, 400, 401, 403, 404),
        detail: { operationId: 'getNode', summary: 'Get a node', tags: ['nodes'], security: userSecurity },
      },
    )
    .post(
      '/nodes',
      async ({ request, body, set }) => {
        const p = await deps.auth.user(request, 'admin');
        if (body.projectId && !(await deps.store.projects.get(body.projectId))) throw notFound('project');
        set.status = 202;
        return deps.fleet.create({
          createdBy: p.user.id,
          ...(body.projectId ? { projectId: body.projectId } : {}),
        });
      },
      {
        body: NodeProvisionRequest,
        response: { ...responses(NodeProvisioning, 400, 401, 403, 404), 202: NodeProvisioning },
        detail: {
          operationId: 'createNode',
          summary:
            'Create a node machine with the configured provider (admin); answers 202 at once, progress at GET /nodes/{id}/provisioning',
          tags: ['nodes'],
          security: userSecurity,
        },
      },
    )
    .patch(
      '/nodes/:id',
      async ({ request, params, body }) => {
        await deps.auth.user(request, 'admin');
        const node = await deps.store.nodes.get(params.id);
        if (!node) throw notFound('node');
        const drainedAt =
          body.drained === undefined
            ? node.drainedAt
            : body.drained
              ? (node.drainedAt ?? deps.clock.now())
              : null;
        await deps.store.nodes.update(node.id, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          drainedAt,
        });
        // Undrained: workspaces waiting for room may fit there now.
        if (node.drainedAt !== null && drainedAt === null) await deps.workspaces.placePending();
        const after = await deps.store.nodes.get(node.id);
        if (!after) throw notFound('node');
        return nodeView(after);
      },
      {
        params: IdParams,
        body: NodeUpdate,
        response: responses(Node, 400, 401, 403, 404),
        detail: {
          operationId: 'updateNode',
          summary:
            'Rename a node, or drain it (admin): a drained node gets no new workspaces, warm-pool claims or tasks; the workspaces it has keep running',
          tags: ['nodes'],
          security: userSecurity,
        },
      },
    )
    .get(
      '/nodes/:id/provisioning',
      async ({ request, params }) => {
        await deps.auth.user(request, 'admin');
        const record = deps.fleet.progress(params.id);
        if (!record) throw notFound('provisioning record');
        return record;
      },
      {
        params: IdParams,
        response: responses(NodeProvisioning, 400, 401, 403, 404),
        detail: {
          operationId: 'getNodeProvisioning',
          summary: 'Progress of creating or deleting a node, steps in order (admin; kept 1 h after the end)',
          tags: ['nodes'],
          security: userSecurity,
        },
      },
    )
    .delete(
      '/nodes/:id',
      async ({ request, params, set }) => {
        await deps.auth.user(request, 'admin');
        const node = await deps.store.nodes.get(params.id);
        if (!node) throw notFound('node');
        if (node.workspaceCount > 0)
          throw new ControlError('conflict', 'the node still hosts workspaces: delete or move them first', {
            workspaces: node.workspaceCount,
          });
        const running = deps.fleet.progress(params.id);
        if (running && (running.state === 'provisioning' || running.state === 'deleting'))
          throw new ControlError('conflict', `the node is ${running.state}; wait until it ends`);
        if (!(await deps.fleet.reserveForDelete(params.id)))
          throw new ControlError('conflict', 'the warm pool node is claimed or already being reaped');
        set.status = 202;
        return deps.fleet.remove(params.id);
      },
      {
        params: IdParams,
        response: { ...responses(NodeProvisioning, 400, 401, 403, 404, 409), 202: NodeProvisioning },
        detail: {
          operationId: 'deleteNode',
          summary:
            'Delete a node (admin): destroy its machine, remove its tailnet device, forget it and void its certificate; progress at GET /nodes/{id}/provisioning',
          tags: ['nodes'],
          security: userSecurity,
        },
      },
    );
}
