// node/git: per-workspace git credential sockets, the endpoint behind them, the token cache, workspace git setup.
export {
  createGitCredentialHandler,
  defaultGitCredentialConfig,
  type GitCredentialConfig,
  type GitCredentialContext,
  type GitCredentialOptions,
  type GitWorkspaces,
} from './credential-endpoint.ts';
export {
  type CredentialAnswer,
  type CredentialRequest,
  formatCredentialAnswer,
  parseCredentialRequest,
} from './credential-protocol.ts';
export { type CredentialSocket, GIT_CREDENTIAL_PATH, serveCredentialSocket } from './credential-socket.ts';
export {
  createHttpGitTokenSource,
  GitTokenSourceError,
  type HttpGitTokenSourceOptions,
} from './http-token-source.ts';
export {
  defaultGitTokenCacheConfig,
  GitTokenCache,
  type GitTokenCacheConfig,
  type GitTokenGrant,
  type GitTokenLookup,
  type GitTokenSource,
} from './token-cache.ts';
export {
  GIT_SOCKET_NAME,
  startWorkspaceGit,
  type WorkspaceGit,
  type WorkspaceGitOptions,
  type WorkspaceRunDir,
} from './workspace-git.ts';
export {
  type CloneCommandInput,
  CREDENTIAL_HELPER_PATH,
  cloneCommand,
  GIT_BIN_DIR,
  GITHUB_SSH_PREFIXES,
  type WorkspaceGitEnvInput,
  workspaceGitEnvironment,
} from './workspace-git-env.ts';
export {
  createWorkspaceRepo,
  type WorkspaceLaunch,
  type WorkspaceRepo,
  type WorkspaceRepoOptions,
} from './workspace-repo.ts';
