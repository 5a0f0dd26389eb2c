// The node API on Hono with hono-openapi: /health, /metrics and the /_node/* operations that need a token.
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { describeRoute, resolver, validator } from 'hono-openapi';
import type * as v from 'valibot';
import {
  AgentPermissionRequest,
  ErrorBody,
  errorResponse,
  Health,
  IdParams,
  list,
  NodeInfo,
  NodeTaskParams,
  NodeTaskPermissionParams,
  NodeTaskStart,
  NodeTaskStarted,
  PermissionAnswer,
  PermissionAnswered,
  TaskMessageCreate,
  validationDetail,
  WorkspaceAssignment,
  WorkspaceReport,
} from '../../contract/index.ts';
import { AgentTaskError, type AgentTasks, type PermissionDesk, PermissionError } from '../agent/index.ts';

/** What the API needs from the rest of the node. */
export interface NodeApiDeps {
  version: string;
  /** Checks a control command token (`Authorization: Bearer …`). */
  verifyCommand: (token: string) => Promise<boolean>;
  /** Checks the node's local admin credential (`Authorization: Bearer wrn_node_…`), which opens the mesh views. */
  verifyAdmin: (token: string) => boolean;
  info: () => NodeInfo;
  workspaces: () => WorkspaceReport[];
  apply: (spec: WorkspaceAssignment) => Promise<WorkspaceReport>;
  metrics: () => string;
  /** Tasks on the workspaces' agents; absent: the task operations answer 404. */
  agentTasks?: AgentTasks;
  /** The agents' permission requests waiting on a person; absent: none are listed, answers are 404. */
  agentPermissions?: PermissionDesk;
  /** The mesh member's status (members, digest, counters); undefined before it started. */
  mesh?: () => unknown;
  /** Every live registry entry this node holds. */
  registry?: () => unknown[];
}

/** The bearer token of a request, if it carries one. */
function bearer(auth: string | undefined): string | undefined {
  return auth && auth.slice(0, 7).toLowerCase() === 'bearer ' ? auth.slice(7).trim() : undefined;
}

const json = (schema: v.GenericSchema, description: string) => ({
  description,
  content: { 'application/json': { schema: resolver(schema) } },
});
const errors = {
  400: json(ErrorBody, 'Malformed request'),
  401: json(ErrorBody, 'Missing or invalid control command token'),
};
const viewUnauthorized = json(ErrorBody, "Neither a control command token nor this node's admin credential");
// Either scheme opens the mesh views.
const viewSecurity: Record<string, string[]>[] = [{ controlCommand: [] }, { nodeAdmin: [] }];

/** Builds the Hono app of the node API. */
export function createNodeApi(deps: NodeApiDeps): Hono {
  const app = new Hono();

  const controlOnly: MiddlewareHandler = async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (!token || !(await deps.verifyCommand(token))) {
      return errorResponse('unauthorized', 'a control command token for this node is required', {
        headers: {
          'www-authenticate': 'Bearer',
        },
      });
    }
    await next();
  };
  const invalid = (r: {
    success: boolean;
    target: string;
    error?: readonly { message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }[];
  }) => {
    if (r.success) return;
    return errorResponse('invalid_request', 'the request does not match the schema', {
      detail: validationDetail(r.target, r.error ?? []),
    });
  };

  app.get(
    '/health',
    describeRoute({
      operationId: 'health',
      summary: 'Liveness',
      responses: { 200: json(Health, 'The node runs') },
    }),
    (c) => c.json({ status: 'ok', version: deps.version, role: 'node' } satisfies Health),
  );

  app.get(
    '/metrics',
    describeRoute({
      operationId: 'metrics',
      summary: 'Counters in the Prometheus text format',
      responses: {
        200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
      },
    }),
    (c) => c.text(deps.metrics(), 200, { 'content-type': 'text/plain; version=0.0.4' }),
  );

  // The mesh views (`warren mesh status`): a control command token or this node's admin credential. They show
  // addresses and workspace placement, never a secret, yet loopback is no proof: workspaces share this machine.
  const adminOrControl: MiddlewareHandler = async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (token && (deps.verifyAdmin(token) || (await deps.verifyCommand(token)))) return next();
    return errorResponse(
      'unauthorized',
      "a control command token or this node's admin credential is required",
      { headers: { 'www-authenticate': 'Bearer' } },
    );
  };
  app.get(
    '/_node/members',
    describeRoute({
      operationId: 'meshMembers',
      summary:
        "This node's view of the mesh: members, states, registry digest, counters (control command token or the node's admin credential)",
      security: viewSecurity,
      responses: { 200: { description: 'Mesh status' }, 401: viewUnauthorized },
    }),
    adminOrControl,
    (c) => {
      const status = deps.mesh?.();
      if (!status)
        return errorResponse('unavailable', 'the mesh member has not started', {
          headers: {
            'retry-after': '1',
          },
        });
      return c.json(status);
    },
  );
  app.get(
    '/_node/registry',
    describeRoute({
      operationId: 'meshRegistry',
      summary:
        "Every live registry entry this node holds (control command token or the node's admin credential)",
      security: viewSecurity,
      responses: { 200: { description: 'Registry entries' }, 401: viewUnauthorized },
    }),
    adminOrControl,
    (c) => c.json({ items: deps.registry?.() ?? [] }),
  );

  app.use('/_node/*', async (c, next) => {
    if (c.req.path === '/_node/members' || c.req.path === '/_node/registry') return next();
    return controlOnly(c, next);
  });

  app.get(
    '/_node/info',
    describeRoute({
      operationId: 'nodeInfo',
      summary: 'What this node is',
      security: [{ controlCommand: [] }],
      responses: { 200: json(NodeInfo, 'The node'), 401: errors[401] },
    }),
    (c) => c.json(deps.info()),
  );

  app.get(
    '/_node/workspaces',
    describeRoute({
      operationId: 'listNodeWorkspaces',
      summary: 'Workspaces this node hosts and their status',
      security: [{ controlCommand: [] }],
      responses: { 200: json(list(WorkspaceReport), 'Workspaces'), 401: errors[401] },
    }),
    (c) => c.json({ items: deps.workspaces() }),
  );

  app.put(
    '/_node/workspaces/:id',
    describeRoute({
      operationId: 'assignWorkspace',
      summary:
        'Place a workspace here or change its desired state; a start only begins, stop and delete finish',
      security: [{ controlCommand: [] }],
      responses: { 200: json(WorkspaceReport, 'The workspace after applying'), ...errors },
    }),
    validator('param', IdParams, invalid),
    validator('json', WorkspaceAssignment, invalid),
    async (c) => {
      const spec = c.req.valid('json');
      if (spec.id !== c.req.valid('param').id) {
        return errorResponse('invalid_request', 'the body id differs from the path id');
      }
      return c.json(await deps.apply(spec));
    },
  );

  const agentTaskRoute = (operationId: string, summary: string, ok: v.GenericSchema | undefined) =>
    describeRoute({
      operationId,
      summary,
      security: [{ controlCommand: [] }],
      responses: {
        200: ok ? json(ok, 'Done') : { description: 'Done' },
        ...errors,
        404: json(ErrorBody, 'No agent or no such task here'),
        409: json(ErrorBody, 'The workspace runs another task, or this one ended'),
      },
    });
  const taskCall = async (c: Context, run: (tasks: AgentTasks) => Promise<unknown>) => {
    if (!deps.agentTasks) return errorResponse('not_found', 'this node runs no agents');
    try {
      return c.json((await run(deps.agentTasks)) ?? {});
    } catch (e) {
      if (!(e instanceof AgentTaskError)) throw e;
      return errorResponse(e.code, e.message);
    }
  };

  app.post(
    '/_node/workspaces/:id/agent/tasks',
    agentTaskRoute(
      'startAgentTask',
      "Start a task on the workspace's agent; the same task again answers the same",
      NodeTaskStarted,
    ),
    validator('param', IdParams, invalid),
    validator('json', NodeTaskStart, invalid),
    (c) => {
      const body = c.req.valid('json');
      return taskCall(c, (t) => t.start(c.req.valid('param').id, body.taskId, body.prompt));
    },
  );

  app.post(
    '/_node/workspaces/:id/agent/tasks/:taskId/messages',
    agentTaskRoute('sendAgentTaskMessage', 'A follow-up prompt for the running task', undefined),
    validator('param', NodeTaskParams, invalid),
    validator('json', TaskMessageCreate, invalid),
    (c) => {
      const p = c.req.valid('param');
      const text = c.req.valid('json').text;
      return taskCall(c, (t) => t.message(p.id, p.taskId, text));
    },
  );

  app.post(
    '/_node/workspaces/:id/agent/tasks/:taskId/cancel',
    agentTaskRoute('cancelAgentTask', "Cancel the task and stop the workspace's agent process", undefined),
    validator('param', NodeTaskParams, invalid),
    (c) => {
      const p = c.req.valid('param');
      return taskCall(c, (t) => t.cancel(p.id, p.taskId));
    },
  );

  app.get(
    '/_node/workspaces/:id/agent/tasks/:taskId/permissions',
    describeRoute({
      operationId: 'listAgentTaskPermissions',
      summary: "The task's permission requests waiting on a person",
      security: [{ controlCommand: [] }],
      responses: { 200: json(list(AgentPermissionRequest), 'Waiting requests, oldest first'), ...errors },
    }),
    validator('param', NodeTaskParams, invalid),
    (c) => {
      const p = c.req.valid('param');
      return c.json({ items: deps.agentPermissions?.pending(p.id, p.taskId) ?? [] });
    },
  );

  app.post(
    '/_node/workspaces/:id/agent/tasks/:taskId/permissions/:requestId',
    describeRoute({
      operationId: 'answerAgentTaskPermission',
      summary: "Answer one of the task's permission requests with one of its optionIds",
      security: [{ controlCommand: [] }],
      responses: {
        200: json(PermissionAnswered, 'The agent got (or, resumed after a restart, will get) this option'),
        ...errors,
        404: json(ErrorBody, 'No such request of this task here'),
        409: json(ErrorBody, 'Answered already'),
      },
    }),
    validator('param', NodeTaskPermissionParams, invalid),
    validator('json', PermissionAnswer, invalid),
    (c) => {
      const p = c.req.valid('param');
      if (!deps.agentPermissions) return errorResponse('not_found', 'permission request not found');
      try {
        return c.json(
          deps.agentPermissions.answer(p.id, p.requestId, c.req.valid('json').optionId, p.taskId),
        );
      } catch (e) {
        if (!(e instanceof PermissionError)) throw e;
        return errorResponse(e.code, e.message);
      }
    },
  );

  app.notFound(() => errorResponse('not_found', 'no such route'));
  app.onError((e) => {
    console.error(`node api: ${e.message}`);
    return errorResponse('internal', 'internal error');
  });
  return app;
}
