// The GitHub side of the control plane in one object: the App's clients and every flow, over the given stores.
import type { GitHubConfig } from './app-config.ts';
import { createGitTokenIssuer, type GitTokenIssuer, type GitTokenWorkspaces } from './git-token.ts';
import { createGitHubApp, type GitHubApp } from './github-client.ts';
import { createProjectRepos, type ProjectRepos } from './project-repos.ts';
import { createSignIn, type SignIn } from './sign-in.ts';
import type { InstallationStore, ProjectRepoStore, StateStore } from './store.ts';
import { createGitHubWebhookHandler } from './webhook.ts';

/** Users' GitHub user tokens, kept server-side (the control plane seals them at rest). */
export interface UserTokenStore {
  save(userId: string, token: string): Promise<void>;
  get(userId: string): Promise<string | undefined>;
}

export interface GitHubStores {
  states: StateStore;
  installations: InstallationStore;
  projectRepos: ProjectRepoStore;
  workspaces: GitTokenWorkspaces;
  userTokens: UserTokenStore;
}

export interface GitHubService {
  app: GitHubApp;
  stores: GitHubStores;
  signIn: SignIn;
  repos: ProjectRepos;
  tokens: GitTokenIssuer;
  /** `POST /api/v1/github/webhook`, given the unparsed request (the HMAC covers the raw body). */
  webhook(request: Request): Promise<Response>;
  /** GitHub's page to install the App, when its slug is configured. */
  installUrl: string | null;
}

/** Wires every GitHub flow for one App configuration. */
export function createGitHubService(
  config: GitHubConfig,
  stores: GitHubStores,
  now: () => number,
): GitHubService {
  const app = createGitHubApp(config);
  return {
    app,
    stores,
    signIn: createSignIn({ app, states: stores.states, now }),
    repos: createProjectRepos({ app, store: stores.projectRepos, installations: stores.installations }),
    tokens: createGitTokenIssuer({ app, workspaces: stores.workspaces, projectRepos: stores.projectRepos }),
    webhook: createGitHubWebhookHandler({
      secret: config.webhookSecret,
      installations: stores.installations,
    }),
    installUrl: config.appSlug ? `https://github.com/apps/${config.appSlug}/installations/new` : null,
  };
}
