// A task's result as a pull request through the GitHub App: opened for its pushed branch into the branch it
// started from, on the project's primary repository, and updated (body) when a follow-up pushed again.
import type { WorkspaceRepository } from '../../contract/index.ts';
import {
  type GitHubApp,
  openPullRequest,
  type ProjectRepoStore,
  type PullRequestRef,
  updatePullRequest,
} from '../github/index.ts';
import type { TaskRow } from './task-tables.ts';

/** Publishes a task's branch as a pull request. */
export interface TaskPullRequests {
  /**
   * Opens the task's pull request, or updates the one it has (`pullRequestNumber`); undefined when its project
   * has no repository on GitHub. Throws GitHubError when GitHub refuses.
   */
  publish(task: TaskRow, branch: string, base: string): Promise<PullRequestRef | undefined>;
}

export interface TaskPullRequestOptions {
  app: GitHubApp;
  projectRepos: ProjectRepoStore;
  /** The control plane's URL as people reach it: the body links back to `<publicUrl>/tasks/<id>`. */
  publicUrl: string;
}

/** Most characters of a prompt in a title (GitHub allows 256; a short title reads better in lists). */
const TITLE_MAX = 100;

/** The title: the prompt's first line. */
export function pullRequestTitle(prompt: string): string {
  const line =
    prompt
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? 'Warren task';
  return line.length <= TITLE_MAX ? line : `${line.slice(0, TITLE_MAX - 1)}…`;
}

/** The body: the agent's summary and a link back to the task. */
export function pullRequestBody(task: TaskRow, publicUrl: string): string {
  const link = `${publicUrl.replace(/\/+$/, '')}/tasks/${task.id}`;
  const summary = task.summary?.trim() || 'The agent left no summary.';
  return `${summary}\n\n---\nOpened by Warren for task [${task.id}](${link}).`;
}

export function createTaskPullRequests(o: TaskPullRequestOptions): TaskPullRequests {
  return {
    async publish(task, branch, base) {
      const binding = await o.projectRepos.get(task.projectId);
      const primary = binding?.repos.find((r) => r.role === 'primary');
      if (!binding || !primary) return undefined;
      const repo = {
        installationId: binding.installationId,
        repoId: primary.repoId,
        fullName: primary.fullName,
      };
      const body = pullRequestBody(task, o.publicUrl);
      if (task.pullRequestNumber !== null)
        return updatePullRequest(o.app, repo, task.pullRequestNumber, { body });
      return openPullRequest(o.app, repo, { head: branch, base, title: pullRequestTitle(task.prompt), body });
    },
  };
}

/** The repository a task workspace of a project clones: its primary one, under `gitBaseUrl`. */
export function createProjectRepository(o: {
  projectRepos: ProjectRepoStore;
  gitBaseUrl: string;
}): (projectId: string) => Promise<WorkspaceRepository | null> {
  return async (projectId) => {
    const primary = (await o.projectRepos.get(projectId))?.repos.find((r) => r.role === 'primary');
    if (!primary) return null;
    const name = primary.fullName.split('/')[1] ?? 'repo';
    return { url: `${o.gitBaseUrl}/${primary.fullName}.git`, dir: name.replace(/[^A-Za-z0-9._-]/g, '-') };
  };
}
