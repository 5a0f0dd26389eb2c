// Checking that both the signed-in user and the App installation can reach a repository.
import { expectShape, type GitHubApp, GitHubError, getAs, toGitHubError } from './github-client.ts';
import { GitHubRepositoryResponse, InstallationTokenAuthentication } from './github-shapes.ts';
import { failure, githubFailure, type Outcome, success } from './outcome.ts';

/** A repository both sides can reach. */
export interface AccessibleRepo {
  repoId: number;
  fullName: string;
  defaultBranch: string;
}

const FULL_NAME = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9_.-]{1,100})$/;

/** Parses `owner/name`, rejecting anything that could change the API path. */
export function parseFullName(input: string): { owner: string; repo: string } | null {
  const m = FULL_NAME.exec(input.trim());
  if (!m || m[2] === '.' || m[2] === '..') return null;
  return { owner: m[1]!, repo: m[2]!.replace(/\.git$/, '') };
}

/**
 * Checks `repo` against the user's token first (404 when the user cannot see it, so existence is not
 * revealed), then against a metadata-only token of the installation (422 when the App is not installed
 * there), and that both see the same repository id.
 */
export async function checkRepoAccess(input: {
  app: GitHubApp;
  userToken: string;
  installationId: number;
  repo: string;
}): Promise<Outcome<AccessibleRepo>> {
  const name = parseFullName(input.repo);
  if (!name) return failure('invalid_request', 'repository must be written owner/name');
  const route = 'GET /repos/{owner}/{repo}';
  try {
    const asUser = await getOrNull(input.app, input.userToken, route, name);
    if (!asUser || asUser.permissions?.pull === false) {
      return failure('not_found', `repository ${input.repo} not found for this user`);
    }
    if (!(await installationCovers(input.app, input.installationId, asUser.id))) {
      return failure(
        'unprocessable',
        `the GitHub App installation cannot access ${asUser.full_name}; add it to the installation first`,
      );
    }
    return success({ repoId: asUser.id, fullName: asUser.full_name, defaultBranch: asUser.default_branch });
  } catch (error) {
    return githubFailure(error);
  }
}

async function getOrNull(app: GitHubApp, token: string, route: string, params: Record<string, unknown>) {
  try {
    return await getAs(app, token, route, params, GitHubRepositoryResponse);
  } catch (error) {
    if (error instanceof GitHubError && (error.status === 404 || error.status === 403)) return null;
    throw error;
  }
}

/**
 * Whether the installation covers `repoId`: GitHub refuses (422) a token request naming a repository the
 * installation cannot access. A plain GET would not do: any token can read a public repository.
 */
async function installationCovers(app: GitHubApp, installationId: number, repoId: number): Promise<boolean> {
  let auth: unknown;
  try {
    auth = await app.auth({
      type: 'installation',
      installationId,
      repositoryIds: [repoId],
      permissions: { metadata: 'read' },
      refresh: true,
    });
  } catch (error) {
    const e = toGitHubError(error, 'installation access check');
    if (e.status === 422 || e.status === 404) return false;
    throw e;
  }
  const token = expectShape(InstallationTokenAuthentication, auth, 'installation token');
  return token.repositoryIds?.length === 1 && token.repositoryIds[0] === repoId;
}
