// A loopback-only listener for the git credential endpoint, for nodes whose main server is not on loopback.
import type { GitCredentialContext } from './credential-endpoint.ts';

/** The path git credential requests are served on (DESIGN.md). */
export const GIT_CREDENTIAL_PATH = '/_node/git-credential';

export interface GitCredentialServer {
  /** `http://127.0.0.1:<port>/_node/git-credential`, the WARREN_GIT_CREDENTIAL_URL of every workspace. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Serves `handler` on 127.0.0.1 (port 0 unless given) at GIT_CREDENTIAL_PATH; other paths are 404. Binding
 * loopback keeps the endpoint off every other interface; the handler still checks the peer address itself.
 */
export function serveGitCredentials(
  handler: (req: Request, ctx: GitCredentialContext) => Promise<Response>,
  options: { port?: number } = {},
): GitCredentialServer {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: options.port ?? 0,
    fetch: (req, srv) =>
      new URL(req.url).pathname === GIT_CREDENTIAL_PATH
        ? handler(req, { remoteAddress: srv.requestIP(req)?.address ?? '', port: srv.port ?? 0 })
        : Response.json({ error: { code: 'not_found', message: 'not found' } }, { status: 404 }),
  });
  const port = server.port ?? 0;
  return { url: `http://127.0.0.1:${port}${GIT_CREDENTIAL_PATH}`, port, stop: () => server.stop(true) };
}
