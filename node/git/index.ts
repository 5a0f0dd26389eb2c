// node/git: the loopback git credential endpoint, per-workspace secrets, the token cache, workspace git setup.
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
export { GIT_CREDENTIAL_PATH, type GitCredentialServer, serveGitCredentials } from './credential-server.ts';
export {
  createHttpGitTokenSource,
  GitTokenSourceError,
  type HttpGitTokenSourceOptions,
} from './http-token-source.ts';
export { browserRefusal, isLoopbackAddress } from './loopback-guard.ts';
export {
  defaultGitTokenCacheConfig,
  GitTokenCache,
  type GitTokenCacheConfig,
  type GitTokenGrant,
  type GitTokenLookup,
  type GitTokenSource,
} from './token-cache.ts';
export { startWorkspaceGit, type WorkspaceGit, type WorkspaceGitOptions } from './workspace-git.ts';
export {
  type CloneCommandInput,
  CREDENTIAL_HELPER_PATH,
  cloneCommand,
  GIT_BIN_DIR,
  GITHUB_SSH_PREFIXES,
  type WorkspaceGitEnvInput,
  workspaceGitEnvironment,
} from './workspace-git-env.ts';
export { WorkspaceSecrets } from './workspace-secrets.ts';
