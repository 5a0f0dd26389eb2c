// A git server standing in for github.com in the cross-process tests: `git http-backend` on the host demanding
// tokens the test accepts, and, where workspaces run sandboxed (each in a network namespace that may not reach
// the host's addresses), reached through a forwarder in a namespace of the test's own, as a workspace reaches
// github.com through NAT.
import { join } from 'node:path';
import { eventually, type GitHttpServer, startGitHttpServer } from '../../node/testing/index.ts';
import { type NamespaceHost, startNamespaceHost } from '../sandbox-harness.ts';

export interface ServedGit {
  server: GitHttpServer;
  /** The base URL workspaces clone from (`<base>/<repo>.git`). */
  base: string;
  stop(): Promise<void>;
}

export async function startServedGit(options: {
  /** Folder of bare repositories. */
  root: string;
  accepts(password: string, repo: string): boolean;
  /** A namespace of the test's own (name and /30 block) for sandboxed workspaces; none: the host's loopback. */
  namespace?: { name: string; block: number };
}): Promise<ServedGit> {
  const host: NamespaceHost | undefined = options.namespace
    ? startNamespaceHost(options.namespace.name, options.namespace.block)
    : undefined;
  const server = startGitHttpServer({
    ...(host ? { hostname: host.gateway } : {}),
    projectRoot: options.root,
    accepts: options.accepts,
  });
  let base = server.url;
  if (host) {
    const [, port] = server.host.split(':');
    host.spawn([
      process.execPath,
      join(import.meta.dir, '..', 'fixtures', 'tcp-forwarder.ts'),
      host.address,
      '9080',
      host.gateway,
      port!,
    ]);
    base = `http://${host.address}:9080`;
    await eventually(
      async () => (await fetch(base).catch(() => undefined))?.status === 401,
      'the forwarder',
      10_000,
    );
  }
  return {
    server,
    base,
    async stop() {
      await server.stop();
      host?.stop();
    },
  };
}
