// Tasks: submit, list and search, get, follow-up messages, cancel, permission requests and their answers, and the
// hosting node's reports (a task waiting on a person, its end).
import { Elysia } from 'elysia';
import {
  AgentPermissionRequest,
  IdParams,
  list,
  PermissionAnswer,
  PermissionAnswered,
  Task,
  TaskCreate,
  TaskInputReport,
  TaskListQuery,
  TaskMessage,
  TaskMessageCreate,
  TaskPermissionParams,
  TaskReport,
} from '../../contract/index.ts';
import { keepBodyBytes, type UserPrincipal } from '../auth/index.ts';
import type { ControlDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { type TaskActor, type TaskService, taskMessageView, taskView } from '../tasks/index.ts';
import { nodeSecurity, responses, userSecurity } from './responses.ts';

export interface TaskRouteDeps {
  tasks: TaskService;
  /** Called after a new task is stored; the dispatcher claims and places it (a retry never starts a second). */
  dispatch?(taskId: string): void;
}

const actor = (p: UserPrincipal): TaskActor => ({ userId: p.user.id, admin: p.role === 'admin' });

export function taskRoutes(deps: ControlDeps, routeDeps: TaskRouteDeps) {
  const { tasks } = routeDeps;
  const doc = (operationId: string, summary: string) => ({
    operationId,
    summary,
    tags: ['tasks'],
    security: userSecurity,
  });
  const one = { params: IdParams, response: responses(Task, 400, 401, 403, 404, 409) };

  return new Elysia({ name: 'tasks', prefix: '/api/v1/tasks' })
    .post(
      '',
      async ({ request, body }) => {
        const p = await deps.auth.user(request, 'write');
        const project = await deps.store.projects.get(body.projectId);
        if (!project || (p.role !== 'admin' && project.ownerId !== p.user.id)) throw notFound('project');
        const { task, created } = await tasks.submit(actor(p), body);
        if (created) routeDeps.dispatch?.(task.id);
        return taskView(task);
      },
      {
        body: TaskCreate,
        response: responses(Task, 400, 401, 403, 404, 409),
        detail: doc('createTask', 'Submit a task; the same idempotency key returns the same task'),
      },
    )
    .get(
      '',
      async ({ request, query }) => {
        const p = await deps.auth.user(request, 'read');
        const rows = await tasks.list(actor(p), {
          ...(query.q === undefined ? {} : { q: query.q }),
          ...(query.status === undefined ? {} : { status: query.status }),
        });
        return { items: rows.map(taskView) };
      },
      {
        query: TaskListQuery,
        response: responses(list(Task), 400, 401, 403),
        detail: doc(
          'listTasks',
          'List tasks, newest first; q searches prompts and summaries, status keeps tasks in one state',
        ),
      },
    )
    .get(
      '/:id',
      async ({ request, params }) =>
        taskView(await tasks.get(actor(await deps.auth.user(request, 'read')), params.id)),
      { ...one, detail: doc('getTask', 'Get a task') },
    )
    .post(
      '/:id/messages',
      async ({ request, params, body }) => {
        const m = await tasks.message(actor(await deps.auth.user(request, 'write')), params.id, body.text);
        // A follow-up that reopened an ended task queued it again: dispatch it now rather than at the next sweep.
        if (m.deliveredAt === null) routeDeps.dispatch?.(params.id);
        return taskMessageView(m);
      },
      {
        params: IdParams,
        body: TaskMessageCreate,
        response: responses(TaskMessage, 400, 401, 403, 404, 409),
        detail: doc(
          'createTaskMessage',
          'Send a follow-up to a task; a completed or failed one continues with it on the same branch',
        ),
      },
    )
    .get(
      '/:id/messages',
      async ({ request, params }) => ({
        items: (await tasks.messages(actor(await deps.auth.user(request, 'read')), params.id)).map(
          taskMessageView,
        ),
      }),
      {
        params: IdParams,
        response: responses(list(TaskMessage), 400, 401, 403, 404),
        detail: doc('listTaskMessages', "List a task's follow-up messages"),
      },
    )
    .post(
      '/:id/cancel',
      async ({ request, params }) =>
        taskView(await tasks.cancel(actor(await deps.auth.user(request, 'write')), params.id)),
      { ...one, detail: doc('cancelTask', 'Cancel a task that has not ended, stopping its agent') },
    )
    .get(
      '/:id/permissions',
      async ({ request, params }) => ({
        items: await tasks.permissions(actor(await deps.auth.user(request, 'read')), params.id),
      }),
      {
        params: IdParams,
        response: responses(list(AgentPermissionRequest), 400, 401, 403, 404, 503),
        detail: doc(
          'listTaskPermissions',
          "The task's agent permission requests waiting for an answer (asked on its hosting node)",
        ),
      },
    )
    .post(
      '/:id/permissions/:requestId',
      async ({ request, params, body }) =>
        tasks.answer(
          actor(await deps.auth.user(request, 'write')),
          params.id,
          params.requestId,
          body.optionId,
        ),
      {
        params: TaskPermissionParams,
        body: PermissionAnswer,
        response: responses(PermissionAnswered, 400, 401, 403, 404, 409, 503),
        detail: doc(
          'answerTaskPermission',
          'Answer a permission request with one of its optionIds (400: not an option, 409: already answered)',
        ),
      },
    )
    .post(
      '/:id/input',
      async ({ request, params, body }) => {
        const nodeId = (await tasks.nodeOf(params.id)) ?? '';
        await deps.auth.node(request, nodeId);
        return taskView(await tasks.needsInput(nodeId, params.id, body.needsInput));
      },
      {
        parse: keepBodyBytes,
        params: IdParams,
        body: TaskInputReport,
        response: responses(Task, 400, 401, 404, 409),
        detail: {
          operationId: 'reportTaskInput',
          summary: "The hosting node says the task's agent waits on a person (needs_input) or no longer does",
          tags: ['tasks'],
          security: nodeSecurity,
        },
      },
    )
    .post(
      '/:id/report',
      async ({ request, params, body }) => {
        // Authenticate as the task's node; an unknown task checks against no node, so it is a 401 as well.
        const nodeId = (await tasks.nodeOf(params.id)) ?? '';
        await deps.auth.node(request, nodeId);
        return taskView(await tasks.report(nodeId, params.id, body));
      },
      {
        // The node's proof covers the body's bytes as received: read them once, before the JSON.
        parse: keepBodyBytes,
        params: IdParams,
        body: TaskReport,
        response: responses(Task, 400, 401, 404, 409),
        detail: {
          operationId: 'reportTask',
          summary: "The hosting node reports a task's end, its outcome and transcript summary",
          tags: ['tasks'],
          security: nodeSecurity,
        },
      },
    );
}
