// A workspace's activity log: newest first, or with `since_id` the events strictly after it, oldest first.
import { Elysia } from 'elysia';
import {
  ActivityEvent,
  ActivityList,
  ActivityQuery,
  AgentActivityReport,
  IdParams,
} from '../../contract/index.ts';
import type { ActivityLog } from '../activity/index.ts';
import { keepBodyBytes } from '../auth/index.ts';
import type { ControlDeps } from '../deps.ts';
import { nodeSecurity, responses, userSecurity } from './responses.ts';

export function activityRoutes(deps: ControlDeps, activity: ActivityLog) {
  return new Elysia({ name: 'activity', prefix: '/api/v1/workspaces' })
    .post(
      '/:id/activity',
      async ({ request, params, body }) => {
        // Only the node hosting the workspace may add to its log; an unknown workspace checks against no
        // node, so it is a 401 too and tells the caller nothing.
        const ws = await deps.store.workspaces.get(params.id);
        await deps.auth.node(request, ws?.nodeId ?? '');
        return activity.append({
          workspaceId: params.id,
          kind: 'agent',
          type: body.type,
          message: body.message,
        });
      },
      {
        // The node's proof covers the body's bytes as received: read them once, before the JSON.
        parse: keepBodyBytes,
        params: IdParams,
        body: AgentActivityReport,
        response: responses(ActivityEvent, 400, 401),
        detail: {
          operationId: 'reportWorkspaceActivity',
          summary: "The hosting node adds an agent event (type agent.*) to the workspace's activity log",
          tags: ['workspaces'],
          security: nodeSecurity,
        },
      },
    )
    .get(
      '/:id/activity',
      async ({ request, params, query }) => {
        const p = await deps.auth.user(request, 'read');
        // First the workspace (404 when the caller may not see it), then the cursor: a cursor never tells
        // whether another workspace exists.
        const ws = await deps.workspaces.get(p, params.id);
        const items = await activity.list(ws.id, {
          ...(query.since_id === undefined ? {} : { sinceId: query.since_id }),
          ...(query.limit === undefined ? {} : { limit: query.limit }),
          ...(query.q === undefined ? {} : { q: query.q }),
        });
        return { items };
      },
      {
        params: IdParams,
        query: ActivityQuery,
        response: responses(ActivityList, 400, 401, 403, 404, 410),
        detail: {
          operationId: 'listWorkspaceActivity',
          summary:
            'Lifecycle, task and agent events of a workspace: newest first, or strictly after since_id oldest first',
          tags: ['workspaces'],
          security: userSecurity,
        },
      },
    );
}
