// Test doubles for node/git: a local git server behind `git http-backend`, and git helpers.
export {
  createBareRepo,
  type GitHttpServer,
  type GitHttpServerOptions,
  git,
  isolatedGitEnv,
  startGitHttpServer,
  type TestSubmodule,
} from './git-http-server.ts';
