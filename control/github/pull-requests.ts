// Pull requests through the GitHub App: opened for a task's pushed branch, and updated when a follow-up pushes
// again. Each call mints an installation token that sees exactly the one repository, with pull_requests:write.
import { expectShape, type GitHubApp, GitHubError, toGitHubError } from './github-client.ts';
import { GitHubPullRequestResponse, InstallationTokenAuthentication } from './github-shapes.ts';
import { parseFullName } from './repo-access.ts';

/** The repository a pull request is for: the installation that covers it, its id and `owner/name`. */
export interface PullRequestRepo {
  installationId: number;
  repoId: number;
  fullName: string;
}

export interface PullRequestRef {
  number: number;
  url: string;
}

/** Text of a pull request: GitHub's limits are 256 characters of title and 65,536 of body. */
const TITLE_MAX = 256;
const BODY_MAX = 65_536;

async function repoToken(app: GitHubApp, repo: PullRequestRepo): Promise<string> {
  let auth: unknown;
  try {
    auth = await app.auth({
      type: 'installation',
      installationId: repo.installationId,
      repositoryIds: [repo.repoId],
      permissions: { pull_requests: 'write' },
      refresh: true,
    });
  } catch (error) {
    throw toGitHubError(error, 'installation token');
  }
  return expectShape(InstallationTokenAuthentication, auth, 'installation token').token;
}

async function call(
  app: GitHubApp,
  repo: PullRequestRepo,
  route: string,
  params: Record<string, unknown>,
): Promise<PullRequestRef> {
  const name = parseFullName(repo.fullName);
  if (!name) throw new GitHubError('github_bad_response', 0, `${repo.fullName} is not owner/name`);
  const token = await repoToken(app, repo);
  let data: unknown;
  try {
    const res = await app.request(route, {
      owner: name.owner,
      repo: name.repo,
      ...params,
      headers: { authorization: `token ${token}` },
    });
    data = res.data;
  } catch (error) {
    throw toGitHubError(error, route);
  }
  const pr = expectShape(GitHubPullRequestResponse, data, route);
  return { number: pr.number, url: pr.html_url };
}

/** Opens a pull request of `head` into `base`. */
export function openPullRequest(
  app: GitHubApp,
  repo: PullRequestRepo,
  input: { head: string; base: string; title: string; body: string },
): Promise<PullRequestRef> {
  return call(app, repo, 'POST /repos/{owner}/{repo}/pulls', {
    head: input.head,
    base: input.base,
    title: input.title.slice(0, TITLE_MAX),
    body: input.body.slice(0, BODY_MAX),
  });
}

/** Replaces the body of pull request `number` (its commits follow the pushed branch by themselves). */
export function updatePullRequest(
  app: GitHubApp,
  repo: PullRequestRepo,
  number: number,
  input: { body: string },
): Promise<PullRequestRef> {
  return call(app, repo, 'PATCH /repos/{owner}/{repo}/pulls/{pull_number}', {
    pull_number: number,
    body: input.body.slice(0, BODY_MAX),
  });
}
