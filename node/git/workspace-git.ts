// The node's git credential service: one credential socket per workspace and the token cache behind them.
import { isAbsolute, join } from 'node:path';
import { certificateHeaders, type NodeProver } from '../control-proof.ts';
import {
  createGitCredentialHandler,
  defaultGitCredentialConfig,
  type GitCredentialConfig,
  type GitWorkspaces,
} from './credential-endpoint.ts';
import { type CredentialSocket, serveCredentialSocket } from './credential-socket.ts';
import { createHttpGitTokenSource } from './http-token-source.ts';
import { defaultGitTokenCacheConfig, GitTokenCache, type GitTokenCacheConfig } from './token-cache.ts';
import { workspaceGitEnvironment } from './workspace-git-env.ts';

/** The socket's file name in the workspace's run folder. */
export const GIT_SOCKET_NAME = 'git.sock';

export interface WorkspaceGitOptions {
  /** The control plane's base URL (the git-token endpoint). */
  controlUrl: string;
  /** The node's current certificate, read per call so renewals apply. */
  certificate: () => string;
  /** Signs the proof that goes with the certificate on each git-token call (node/control-proof.ts). */
  prove: NodeProver;
  /** The node's runtime registry of workspaces (every workspace it hosts). */
  workspaces: GitWorkspaces;
  credentials?: GitCredentialConfig;
  cache?: GitTokenCacheConfig;
}

/** Where a workspace's sockets live. */
export interface WorkspaceRunDir {
  /** The folder on the host: owned by the workspace's uid, mode 0700, so only its processes get in. */
  runDir: string;
  /** The same folder as the workspace's processes see it (`/run/warren` in a sandbox; runDir without one). */
  runInside: string;
}

/** What the workspace start pipeline and the node's lifecycle use. */
export interface WorkspaceGit {
  /**
   * The variables that make the workspace's git and gh use the helper; `path` is the PATH it would otherwise
   * get. Starts the workspace's socket `<runDir>/git.sock` on the first call of a run and keeps it until
   * `ended`, so every process of one run (app, terminals, restarts after a crash) reaches the same one.
   * Call it from the one start pipeline. The variables carry no secret.
   */
  environment(workspaceId: string, path: string, where: WorkspaceRunDir): Record<string, string>;
  /** The host path of the workspace's socket while it is served, else undefined. */
  socket(workspaceId: string): string | undefined;
  /** The workspace stopped or was removed: its socket goes (connects fail) and its token is forgotten. */
  ended(workspaceId: string): void;
  /** Stops every workspace's socket. */
  stop(): Promise<void>;
}

/** Starts the service; sockets start per workspace as `environment` is called. */
export function startWorkspaceGit(options: WorkspaceGitOptions): WorkspaceGit {
  const tokens = new GitTokenCache({
    source: createHttpGitTokenSource({
      controlUrl: options.controlUrl,
      headers: (call) => certificateHeaders(options.certificate(), options.prove, call),
    }),
    config: options.cache ?? defaultGitTokenCacheConfig(),
  });
  const handle = createGitCredentialHandler({
    workspaces: options.workspaces,
    tokens,
    config: options.credentials ?? defaultGitCredentialConfig(),
  });
  const sockets = new Map<string, CredentialSocket>();
  const close = (workspaceId: string): Promise<void> => {
    const socket = sockets.get(workspaceId);
    sockets.delete(workspaceId);
    return socket?.stop() ?? Promise.resolve();
  };
  return {
    environment(workspaceId, path, where) {
      // The helper runs from the workspace's own folder: a relative path would point elsewhere.
      if (!isAbsolute(where.runDir) || !isAbsolute(where.runInside))
        throw new Error(`the run folder of ${workspaceId} must be an absolute path`);
      const host = join(where.runDir, GIT_SOCKET_NAME);
      if (sockets.get(workspaceId)?.path !== host) {
        // A run folder that moved takes the socket with it; the old one stops answering.
        void close(workspaceId);
        // The workspace id comes from here, never from the request: the socket is the identity.
        sockets.set(
          workspaceId,
          serveCredentialSocket(host, (req) => handle(req, { workspaceId })),
        );
      }
      return workspaceGitEnvironment({ socket: join(where.runInside, GIT_SOCKET_NAME), path });
    },
    socket: (workspaceId) => sockets.get(workspaceId)?.path,
    ended(workspaceId) {
      void close(workspaceId);
      tokens.forget(workspaceId);
    },
    async stop() {
      await Promise.all([...sockets.keys()].map(close));
    },
  };
}
