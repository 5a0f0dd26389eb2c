// Test doubles for node/git: a local git server behind `git http-backend`, git helpers, a credential socket client.
export {
  askCredential,
  type CredentialAsk,
  GITHUB_CREDENTIAL_INPUT,
  socketConnects,
} from './credential-client.ts';
export {
  createBareRepo,
  type GitHttpServer,
  type GitHttpServerOptions,
  git,
  isolatedGitEnv,
  startGitHttpServer,
  type TestSubmodule,
} from './git-http-server.ts';
