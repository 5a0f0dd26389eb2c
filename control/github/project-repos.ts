// A project's repositories: bind the primary, add verified additional ones, suggest them from .gitmodules.
import { type GitHubApp, GitHubError, getAs } from './github-client.ts';
import { GitHubFileContentResponse } from './github-shapes.ts';
import { suggestSameOwnerRepos } from './gitmodules.ts';
import { failure, githubFailure, type Outcome, success } from './outcome.ts';
import { checkRepoAccess, parseFullName } from './repo-access.ts';
import type { InstallationStore, ProjectRepoBinding, ProjectRepoStore } from './store.ts';

/** Most repositories one project may hold; a token's repository list stays small. */
export const MAX_PROJECT_REPOS = 50;

export interface ProjectReposOptions {
  app: GitHubApp;
  store: ProjectRepoStore;
  installations: InstallationStore;
}

/** Project repository operations; each takes the acting user's GitHub token for the user-side check. */
export interface ProjectRepos {
  /** Binds a project to its primary repository through a recorded installation (both sides checked). */
  bindPrimary(input: {
    projectId: string;
    installationId: number;
    repo: string;
    userToken: string;
  }): Promise<Outcome<ProjectRepoBinding>>;
  /** Adds an additional repository after both access checks pass. */
  addRepo(input: {
    projectId: string;
    repo: string;
    userToken: string;
  }): Promise<Outcome<ProjectRepoBinding>>;
  /** Same-owner submodules of the primary repository (from its `.gitmodules`) not yet in the set. */
  suggest(input: { projectId: string; userToken: string }): Promise<Outcome<string[]>>;
}

export function createProjectRepos(options: ProjectReposOptions): ProjectRepos {
  const { app, store, installations } = options;
  return {
    async bindPrimary({ projectId, installationId, repo, userToken }) {
      const installation = await installations.get(installationId);
      if (!installation) return failure('not_found', 'installation not found; install the GitHub App first');
      if (installation.suspended) return failure('conflict', 'the GitHub App installation is suspended');
      const access = await checkRepoAccess({ app, userToken, installationId, repo });
      if (!access.ok) return access;
      await store.bind(projectId, installationId, {
        repoId: access.value.repoId,
        fullName: access.value.fullName,
        role: 'primary',
      });
      return success((await store.get(projectId))!);
    },

    async addRepo({ projectId, repo, userToken }) {
      const binding = await store.get(projectId);
      if (!binding) return failure('conflict', 'bind the project to its primary repository first');
      if (binding.repos.length >= MAX_PROJECT_REPOS) {
        return failure('conflict', `a project holds at most ${MAX_PROJECT_REPOS} repositories`);
      }
      const access = await checkRepoAccess({ app, userToken, installationId: binding.installationId, repo });
      if (!access.ok) return access;
      await store.addRepo(projectId, {
        repoId: access.value.repoId,
        fullName: access.value.fullName,
        role: 'additional',
      });
      return success((await store.get(projectId))!);
    },

    async suggest({ projectId, userToken }) {
      const binding = await store.get(projectId);
      const primary = binding?.repos.find((r) => r.role === 'primary');
      if (!binding || !primary)
        return failure('conflict', 'bind the project to its primary repository first');
      const name = parseFullName(primary.fullName)!;
      let text: string;
      try {
        const file = await getAs(
          app,
          userToken,
          'GET /repos/{owner}/{repo}/contents/{path}',
          { ...name, path: '.gitmodules' },
          GitHubFileContentResponse,
        );
        text = Buffer.from(file.content, 'base64').toString('utf8');
      } catch (error) {
        if (error instanceof GitHubError && error.status === 404) return success([]);
        return githubFailure(error);
      }
      const have = new Set(binding.repos.map((r) => r.fullName.toLowerCase()));
      return success(suggestSameOwnerRepos(text, primary.fullName).filter((r) => !have.has(r.toLowerCase())));
    },
  };
}
