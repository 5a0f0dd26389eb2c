// The node's git credential service: per-workspace secrets, the token cache and the loopback endpoint, together.
import {
  createGitCredentialHandler,
  defaultGitCredentialConfig,
  type GitCredentialConfig,
  type GitWorkspaces,
} from './credential-endpoint.ts';
import { type GitCredentialServer, serveGitCredentials } from './credential-server.ts';
import { createHttpGitTokenSource } from './http-token-source.ts';
import { defaultGitTokenCacheConfig, GitTokenCache, type GitTokenCacheConfig } from './token-cache.ts';
import { workspaceGitEnvironment } from './workspace-git-env.ts';
import { WorkspaceSecrets } from './workspace-secrets.ts';

export interface WorkspaceGitOptions {
  /** The control plane's base URL (the git-token endpoint). */
  controlUrl: string;
  /** The node's current certificate, read per call so renewals apply. */
  certificate: () => string;
  /** The node's runtime registry of workspaces (every workspace it hosts, LESSONS 2). */
  workspaces: GitWorkspaces;
  credentials?: GitCredentialConfig;
  cache?: GitTokenCacheConfig;
  /** Loopback port of the endpoint; 0 (a free one) by default. */
  port?: number;
}

/** What the workspace start pipeline and the node's lifecycle use. */
export interface WorkspaceGit {
  /** `http://127.0.0.1:<port>/_node/git-credential`. */
  readonly url: string;
  /**
   * The variables that make the workspace's git and gh use the helper; `path` is the PATH it would otherwise
   * get. The secret is issued on the first call and kept until `ended`, so every process of one run (app,
   * terminals, restarts after a crash) holds the same one. Call it from the one start pipeline (LESSONS 4).
   */
  environment(workspaceId: string, path: string): Record<string, string>;
  /** The workspace stopped or was removed: its secret stops working and its token is forgotten. */
  ended(workspaceId: string): void;
  stop(): Promise<void>;
}

/** Starts the loopback credential endpoint and returns the service around it. */
export function startWorkspaceGit(options: WorkspaceGitOptions): WorkspaceGit {
  const secrets = new WorkspaceSecrets();
  /** The secret of each workspace's current run (WorkspaceSecrets keeps only digests). */
  const issued = new Map<string, string>();
  const tokens = new GitTokenCache({
    source: createHttpGitTokenSource({
      controlUrl: options.controlUrl,
      headers: () => ({ authorization: `Bearer ${options.certificate()}` }),
    }),
    config: options.cache ?? defaultGitTokenCacheConfig(),
  });
  const server: GitCredentialServer = serveGitCredentials(
    createGitCredentialHandler({
      secrets,
      workspaces: options.workspaces,
      tokens,
      config: options.credentials ?? defaultGitCredentialConfig(),
    }),
    options.port !== undefined ? { port: options.port } : {},
  );
  return {
    url: server.url,
    environment(workspaceId, path) {
      let secret = issued.get(workspaceId);
      if (secret === undefined || !secrets.has(workspaceId)) {
        secret = secrets.issue(workspaceId);
        issued.set(workspaceId, secret);
      }
      return workspaceGitEnvironment({ secret, credentialUrl: server.url, path });
    },
    ended(workspaceId) {
      issued.delete(workspaceId);
      secrets.revoke(workspaceId);
      tokens.forget(workspaceId);
    },
    stop: () => server.stop(),
  };
}
