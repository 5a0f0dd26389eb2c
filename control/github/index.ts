// control/github: GitHub App sign-in, installations, project repositories and git token minting.
export {
  GITHUB_ENV,
  type GitHubConfig,
  type GitHubConfigResult,
  normalisePrivateKey,
  parseGitHubConfig,
} from './app-config.ts';
export {
  authorizeGitTokenRequest,
  createGitTokenIssuer,
  type GitTokenIssuer,
  type GitTokenWorkspace,
  type GitTokenWorkspaces,
  mintGitToken,
} from './git-token.ts';
export { createGitHubApp, type GitHubApp, GitHubError } from './github-client.ts';
export {
  createGitHubService,
  type GitHubService,
  type GitHubStores,
  type UserTokenStore,
} from './github-service.ts';
export { parseGitmodules, repoOfSubmoduleUrl, suggestSameOwnerRepos } from './gitmodules.ts';
export {
  findUserInstallation,
  listUserInstallations,
  recordInstallationFromSetup,
} from './installations.ts';
export { type Outcome, outcomeResponse } from './outcome.ts';
export { createProjectRepos, MAX_PROJECT_REPOS, type ProjectRepos } from './project-repos.ts';
export {
  openPullRequest,
  type PullRequestRef,
  type PullRequestRepo,
  updatePullRequest,
} from './pull-requests.ts';
export { type AccessibleRepo, checkRepoAccess, parseFullName } from './repo-access.ts';
export {
  createSignIn,
  defaultSignInConfig,
  fetchIdentity,
  type GitHubIdentity,
  type SignedIn,
  type SignIn,
  type SignInConfig,
  safeReturnTo,
} from './sign-in.ts';
export type {
  Installation,
  InstallationStore,
  PendingSignIn,
  ProjectRepo,
  ProjectRepoBinding,
  ProjectRepoStore,
  StateStore,
} from './store.ts';
export {
  applyWebhook,
  createGitHubWebhookHandler,
  defaultWebhookConfig,
  type WebhookConfig,
} from './webhook.ts';
