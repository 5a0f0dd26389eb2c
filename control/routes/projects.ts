// Projects: create, list, get, rename and change defaults, delete. Another user's project answers 404 (admins see all).
import { Elysia } from 'elysia';
import { IdParams, list, newId, Project, ProjectCreate, ProjectUpdate } from '../../contract/index.ts';
import type { UserPrincipal } from '../auth/index.ts';
import type { ProjectRow } from '../db/index.ts';
import type { ControlDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { visibleProject } from './project-access.ts';
import { responses, userSecurity } from './responses.ts';
import { projectView } from './views.ts';

export function projectRoutes(deps: ControlDeps) {
  const visible = (p: UserPrincipal, id: string) => visibleProject(deps, p, id);
  /** Projects as the API shows them, each with its repositories (one query for all). */
  const present = async (rows: ProjectRow[]) => {
    const repos = await deps.store.projects.repositories(rows.map((r) => r.id));
    return rows.map((r) => projectView(r, repos.get(r.id) ?? []));
  };
  const one = async (row: ProjectRow) => (await present([row]))[0]!;
  return new Elysia({ name: 'projects', prefix: '/api/v1/projects' })
    .post(
      '',
      async ({ request, body }) => {
        const p = await deps.auth.user(request, 'write');
        const row = {
          id: newId('project'),
          name: body.name,
          description: body.description,
          ownerId: p.user.id,
          createdAt: deps.clock.now(),
          appCommand: body.appCommand ?? null,
          agentCommand: body.agentCommand ?? null,
          resources: JSON.stringify(body.resources ?? {}),
          agentPermissions: body.agentPermissions ?? 'ask',
        };
        await deps.store.projects.insert(row);
        return projectView(row);
      },
      {
        body: ProjectCreate,
        response: responses(Project, 400, 401, 403),
        detail: {
          operationId: 'createProject',
          summary: 'Create a project',
          tags: ['projects'],
          security: userSecurity,
        },
      },
    )
    .get(
      '',
      async ({ request }) => {
        const p = await deps.auth.user(request, 'read');
        const rows = await deps.store.projects.list(p.role === 'admin' ? undefined : p.user.id);
        return { items: await present(rows) };
      },
      {
        response: responses(list(Project), 401, 403),
        detail: {
          operationId: 'listProjects',
          summary: 'List projects',
          tags: ['projects'],
          security: userSecurity,
        },
      },
    )
    .get(
      '/:id',
      async ({ request, params }) => one(await visible(await deps.auth.user(request, 'read'), params.id)),
      {
        params: IdParams,
        response: responses(Project, 400, 401, 403, 404),
        detail: {
          operationId: 'getProject',
          summary: 'Get a project',
          tags: ['projects'],
          security: userSecurity,
        },
      },
    )
    .patch(
      '/:id',
      async ({ request, params, body }) => {
        const row = await visible(await deps.auth.user(request, 'write'), params.id);
        const updated = await deps.store.projects.update(row.id, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
          ...(body.appCommand !== undefined ? { appCommand: body.appCommand } : {}),
          ...(body.agentCommand !== undefined ? { agentCommand: body.agentCommand } : {}),
          ...(body.resources !== undefined ? { resources: JSON.stringify(body.resources) } : {}),
          ...(body.agentPermissions !== undefined ? { agentPermissions: body.agentPermissions } : {}),
        });
        if (!updated) throw notFound('project');
        // Running agents read the policy when they ask: their nodes get it now, not at the next heartbeat.
        if (body.agentPermissions !== undefined && body.agentPermissions !== row.agentPermissions)
          await deps.workspaces.resendProject(row.id);
        return one(updated);
      },
      {
        params: IdParams,
        body: ProjectUpdate,
        response: responses(Project, 400, 401, 403, 404),
        detail: {
          operationId: 'updateProject',
          summary:
            'Rename a project or change its description and the defaults its new workspaces start from (existing workspaces keep theirs)',
          tags: ['projects'],
          security: userSecurity,
        },
      },
    )
    .delete(
      '/:id',
      async ({ request, params }) => {
        const row = await visible(await deps.auth.user(request, 'write'), params.id);
        const shown = await one(row);
        await deps.store.projects.remove(row.id);
        return shown;
      },
      {
        params: IdParams,
        response: responses(Project, 400, 401, 403, 404),
        detail: {
          operationId: 'deleteProject',
          summary: 'Delete a project and its workspaces',
          tags: ['projects'],
          security: userSecurity,
        },
      },
    );
}
