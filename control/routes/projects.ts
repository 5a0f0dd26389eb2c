// Projects: create, list, get, delete. Another user's project answers 404 (admins see all).
import { Elysia } from 'elysia';
import { IdParams, list, newId, Project, ProjectCreate } from '../../contract/index.ts';
import type { UserPrincipal } from '../auth/index.ts';
import type { ControlDeps } from '../deps.ts';
import { visibleProject } from './project-access.ts';
import { responses, userSecurity } from './responses.ts';
import { projectView } from './views.ts';

export function projectRoutes(deps: ControlDeps) {
  const visible = (p: UserPrincipal, id: string) => visibleProject(deps, p, id);
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
        return { items: rows.map(projectView) };
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
      async ({ request, params }) =>
        projectView(await visible(await deps.auth.user(request, 'read'), params.id)),
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
    .delete(
      '/:id',
      async ({ request, params }) => {
        const row = await visible(await deps.auth.user(request, 'write'), params.id);
        await deps.store.projects.remove(row.id);
        return projectView(row);
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
