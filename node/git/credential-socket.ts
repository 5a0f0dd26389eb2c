// One workspace's unix socket for the git credential endpoint: bound safely inside its run folder, removed on stop.
import { chmodSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errorResponse } from '../../contract/index.ts';

/** The path git credential requests are served on (docs/architecture.md, "A node"). */
export const GIT_CREDENTIAL_PATH = '/_node/git-credential';

/** A listening credential socket. */
export interface CredentialSocket {
  /** The socket's path on the host. */
  readonly path: string;
  /** Removes the socket file at once (a connect fails from then on) and stops listening. */
  stop(): Promise<void>;
}

/**
 * Serves `handler` on the unix socket `path` at GIT_CREDENTIAL_PATH; other paths are 404. The socket is
 * mode 0666 so the workspace's own uid can connect: the 0700 folder it sits in (owned by that uid) is what
 * keeps everyone else out.
 *
 * The folder belongs to the workspace, so the socket is never bound or chmodded there by path: a link
 * planted at `path` would make chmod act on its target. It is bound and chmodded in a fresh node-owned
 * folder next to the run folder (same filesystem) and renamed into place, which replaces whatever sat at
 * `path` without following it.
 */
export function serveCredentialSocket(
  path: string,
  handler: (req: Request) => Promise<Response>,
): CredentialSocket {
  const staging = mkdtempSync(join(dirname(dirname(path)), '.git-socket-'));
  let server: ReturnType<typeof Bun.serve>;
  try {
    const staged = join(staging, basename(path));
    server = Bun.serve({
      unix: staged,
      // Never Bun's error page (source lines, whatever NODE_ENV says): errors leave in the one JSON shape.
      development: false,
      fetch: (req) => {
        // An odd Host leaves Bun's req.url without scheme and host: not a URL (new URL would throw).
        const path = URL.parse(req.url)?.pathname;
        if (path === undefined) return errorResponse('invalid_request', 'the request could not be parsed');
        return path === GIT_CREDENTIAL_PATH ? handler(req) : errorResponse('not_found', 'not found');
      },
      error: () => errorResponse('internal', 'internal error'),
    });
    try {
      chmodSync(staged, 0o666);
      renameSync(staged, path);
    } catch (e) {
      void server.stop(true);
      throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return {
    path,
    stop() {
      // The file goes first and at once: a new run's socket may be renamed into place before this resolves.
      rmSync(path, { force: true });
      return server.stop(true);
    },
  };
}
