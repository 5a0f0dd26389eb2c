// Token exchange: who may get a git token for a workspace, and minting one for the project's exact repo set.
import type { DesiredState, GitToken, WorkspaceStatus } from '../../contract/index.ts';
import { expectShape, type GitHubApp, GitHubError, toGitHubError } from './github-client.ts';
import { InstallationTokenAuthentication } from './github-shapes.ts';
import { failure, githubFailure, type Outcome, success } from './outcome.ts';
import type { ProjectRepoStore } from './store.ts';

/** What the token exchange needs to know about a workspace (a projection of the workspaces table). */
export interface GitTokenWorkspace {
  id: string;
  projectId: string;
  /** The node it is placed on; null when not placed. */
  nodeId: string | null;
  status: WorkspaceStatus;
  desiredState: DesiredState;
}

/** Looks workspaces up by id; the control plane backs it with its database. */
export interface GitTokenWorkspaces {
  get(id: string): Promise<GitTokenWorkspace | undefined>;
}

/**
 * Workspace states in which git may run: while starting (the initial clone) and while running, degraded included
 * (its agent failed, but its app and terminals run).
 */
const LIVE: readonly WorkspaceStatus[] = ['starting', 'running', 'degraded'];

/**
 * Decides whether the node `callerNodeId` (from its verified certificate) may get a git token for
 * `workspace`. Every refusal is the same 404, so a node learns nothing about workspaces it does not host.
 */
export function authorizeGitTokenRequest(
  workspace: GitTokenWorkspace | undefined,
  callerNodeId: string,
): Outcome<GitTokenWorkspace> {
  if (
    !workspace ||
    workspace.nodeId === null ||
    workspace.nodeId !== callerNodeId ||
    workspace.desiredState !== 'running' ||
    !LIVE.includes(workspace.status)
  ) {
    return failure('not_found', 'workspace not found on this node');
  }
  return success(workspace);
}

/**
 * Mints an installation token that sees exactly `repositoryIds` with contents read/write,
 * and refuses one whose repository set GitHub widened or narrowed.
 */
export async function mintGitToken(
  app: GitHubApp,
  input: { installationId: number; repositoryIds: readonly number[] },
): Promise<GitToken> {
  const wanted = [...new Set(input.repositoryIds)].sort((a, b) => a - b);
  if (wanted.length === 0)
    throw new GitHubError('github_bad_response', 0, 'no repositories to mint a token for');
  let auth: unknown;
  try {
    auth = await app.auth({
      type: 'installation',
      installationId: input.installationId,
      repositoryIds: [...wanted],
      permissions: { contents: 'write' },
      refresh: true,
    });
  } catch (error) {
    throw toGitHubError(error, 'installation token');
  }
  const token = expectShape(InstallationTokenAuthentication, auth, 'installation token');
  const got = [...(token.repositoryIds ?? [])].sort((a, b) => a - b);
  if (got.length !== wanted.length || got.some((id, i) => id !== wanted[i])) {
    throw new GitHubError(
      'github_bad_response',
      502,
      'installation token does not cover exactly the requested repositories',
    );
  }
  return { token: token.token, expiresAt: new Date(token.expiresAt).toISOString(), repositoryIds: got };
}

/** The whole exchange behind `POST /api/v1/workspaces/{id}/git-token`. */
export interface GitTokenIssuer {
  issue(workspaceId: string, callerNodeId: string): Promise<Outcome<GitToken>>;
}

export function createGitTokenIssuer(options: {
  app: GitHubApp;
  workspaces: GitTokenWorkspaces;
  projectRepos: ProjectRepoStore;
}): GitTokenIssuer {
  return {
    async issue(workspaceId, callerNodeId) {
      const allowed = authorizeGitTokenRequest(await options.workspaces.get(workspaceId), callerNodeId);
      if (!allowed.ok) return allowed;
      const binding = await options.projectRepos.get(allowed.value.projectId);
      if (!binding || binding.repos.length === 0) {
        return failure('conflict', 'the project has no GitHub repositories');
      }
      try {
        return success(
          await mintGitToken(options.app, {
            installationId: binding.installationId,
            repositoryIds: binding.repos.map((r) => r.repoId),
          }),
        );
      } catch (error) {
        if (error instanceof GitHubError && (error.status === 422 || error.status === 404)) {
          // The installation was removed, or no longer covers one of the project's repositories.
          return failure(
            'conflict',
            "the GitHub App installation no longer covers the project's repositories",
          );
        }
        return githubFailure(error);
      }
    },
  };
}
