// A project's GitHub repositories: bind the primary, add verified additional ones, list, suggest, remove.
import { Elysia } from 'elysia';
import * as v from 'valibot';
import {
  IdParams,
  ProjectRepositories,
  ProjectRepositoryAdd,
  ProjectRepositoryBind,
  RepositorySuggestions,
} from '../../contract/index.ts';
import type { UserPrincipal } from '../auth/index.ts';
import type { ControlDeps } from '../deps.ts';
import { ControlError, notFound } from '../errors.ts';
import type { ProjectRepoBinding } from '../github/index.ts';
import { requireGitHub, unwrap } from './github-outcome.ts';
import { visibleProject } from './project-access.ts';
import { responses, userSecurity } from './responses.ts';

const RepoParams = v.object({
  id: v.pipe(v.string(), v.maxLength(64)),
  repoId: v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,15}$/, 'must be a repository id')),
});

function repositoriesView(b: ProjectRepoBinding): ProjectRepositories {
  return {
    installationId: b.installationId,
    repos: b.repos.map((r) => ({ repoId: r.repoId, fullName: r.fullName, role: r.role })),
  };
}

export function repositoryRoutes(deps: ControlDeps) {
  /** The caller's GitHub token, which the user-side access checks need. */
  const userToken = async (p: UserPrincipal) => {
    const token = await requireGitHub(deps).stores.userTokens.get(p.user.id);
    if (!token) throw new ControlError('conflict', 'sign in with GitHub first: the access check needs it');
    return token;
  };
  const doc = (operationId: string, summary: string) => ({
    operationId,
    summary,
    tags: ['projects'],
    security: userSecurity,
  });

  return new Elysia({ name: 'repositories', prefix: '/api/v1/projects' })
    .get(
      '/:id/repositories',
      async ({ request, params }) => {
        const github = requireGitHub(deps);
        const project = await visibleProject(deps, await deps.auth.user(request, 'read'), params.id);
        const binding = await github.stores.projectRepos.get(project.id);
        if (!binding) throw notFound('repository binding');
        return repositoriesView(binding);
      },
      {
        params: IdParams,
        response: responses(ProjectRepositories, 400, 401, 403, 404),
        detail: doc('listProjectRepositories', "A project's installation and its explicit repository set"),
      },
    )
    .put(
      '/:id/repositories/primary',
      async ({ request, params, body, set }) => {
        const github = requireGitHub(deps);
        const p = await deps.auth.user(request, 'write');
        const project = await visibleProject(deps, p, params.id);
        const binding = unwrap(
          await github.repos.bindPrimary({
            projectId: project.id,
            installationId: body.installationId,
            repo: body.repo,
            userToken: await userToken(p),
          }),
          set,
        );
        return repositoriesView(binding);
      },
      {
        params: IdParams,
        body: ProjectRepositoryBind,
        response: responses(ProjectRepositories, 400, 401, 403, 404, 409, 422, 502, 503),
        detail: doc(
          'bindProjectRepository',
          'Bind the project to its primary repository (the user and the installation must both reach it); replaces the set',
        ),
      },
    )
    .post(
      '/:id/repositories',
      async ({ request, params, body, set }) => {
        const github = requireGitHub(deps);
        const p = await deps.auth.user(request, 'write');
        const project = await visibleProject(deps, p, params.id);
        const binding = unwrap(
          await github.repos.addRepo({
            projectId: project.id,
            repo: body.repo,
            userToken: await userToken(p),
          }),
          set,
        );
        return repositoriesView(binding);
      },
      {
        params: IdParams,
        body: ProjectRepositoryAdd,
        response: responses(ProjectRepositories, 400, 401, 403, 404, 409, 422, 502, 503),
        detail: doc(
          'addProjectRepository',
          'Add a repository to the set, after checking that the user and the installation can reach it',
        ),
      },
    )
    .get(
      '/:id/repositories/suggestions',
      async ({ request, params, set }) => {
        const github = requireGitHub(deps);
        const p = await deps.auth.user(request, 'read');
        const project = await visibleProject(deps, p, params.id);
        const repos = unwrap(
          await github.repos.suggest({ projectId: project.id, userToken: await userToken(p) }),
          set,
        );
        return { repos };
      },
      {
        params: IdParams,
        response: responses(RepositorySuggestions, 400, 401, 403, 404, 409, 502, 503),
        detail: doc(
          'suggestProjectRepositories',
          'Same-owner submodules of the primary repository (from .gitmodules) not yet in the set',
        ),
      },
    )
    .delete(
      '/:id/repositories/:repoId',
      async ({ request, params }) => {
        const github = requireGitHub(deps);
        const project = await visibleProject(deps, await deps.auth.user(request, 'write'), params.id);
        const store = github.stores.projectRepos;
        const binding = await store.get(project.id);
        const repo = binding?.repos.find((r) => r.repoId === Number(params.repoId));
        if (!binding || !repo) throw notFound('repository');
        if (repo.role === 'primary')
          throw new ControlError('conflict', 'the primary repository is replaced by binding another one');
        await store.removeRepo(project.id, repo.repoId);
        return repositoriesView((await store.get(project.id)) ?? binding);
      },
      {
        params: RepoParams,
        response: responses(ProjectRepositories, 400, 401, 403, 404, 409),
        detail: doc('removeProjectRepository', 'Remove an additional repository from the set'),
      },
    );
}
