// A local git server for tests: `git http-backend` run as CGI behind Bun.serve, demanding a Basic-auth token.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GitHttpServerOptions {
  /** Folder holding bare repositories (`<name>.git`). */
  projectRoot: string;
  /**
   * Whether a presented password may read and push repository `repo` (its path up to `.git`, e.g. `app` or
   * `acme/app`); the test
   * decides (e.g. "is the currently minted token", "does the token cover this repository").
   */
  accepts: (password: string, repo: string) => boolean;
  /** Address to listen on; default 127.0.0.1. */
  hostname?: string;
}

/** A running git server on 127.0.0.1, port 0. */
export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, the host git sends to credential helpers. */
  host: string;
  /** Every password presented, accepted or not, in order. */
  passwords: string[];
  stop(): Promise<void>;
}

const HTTP_BACKEND = 'git-http-backend';

export function startGitHttpServer(options: GitHttpServerOptions): GitHttpServer {
  const passwords: string[] = [];
  const server = Bun.serve({
    hostname: options.hostname ?? '127.0.0.1',
    port: 0,
    fetch: async (req) => {
      const password = basicPassword(req.headers.get('authorization'));
      if (password !== null) passwords.push(password);
      const repo = /^\/(.+?)\.git(?:\/|$)/.exec(new URL(req.url).pathname)?.[1] ?? '';
      if (password === null || !options.accepts(password, repo)) {
        return new Response('authentication required\n', {
          status: 401,
          headers: { 'www-authenticate': 'Basic realm="warren-test-git"' },
        });
      }
      return runBackend(req, options.projectRoot);
    },
  });
  const host = `${options.hostname ?? '127.0.0.1'}:${server.port}`;
  return { url: `http://${host}`, host, passwords, stop: () => server.stop(true) };
}

async function runBackend(req: Request, projectRoot: string): Promise<Response> {
  const url = new URL(req.url);
  const execPath = Bun.spawnSync(['git', '--exec-path']).stdout.toString().trim();
  const proc = Bun.spawn([join(execPath, HTTP_BACKEND)], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers.get('content-type') ?? '',
      REMOTE_USER: 'x-access-token',
      REMOTE_ADDR: '127.0.0.1',
      GIT_PROTOCOL: req.headers.get('git-protocol') ?? '',
      HTTP_CONTENT_ENCODING: req.headers.get('content-encoding') ?? '',
    },
    stdin: req.body ? new Uint8Array(await req.arrayBuffer()) : 'ignore',
    stdout: 'pipe',
    stderr: 'ignore',
  });
  const out = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
  await proc.exited;
  return cgiResponse(out);
}

/** Splits CGI output into headers (with `Status:`) and body. */
function cgiResponse(out: Uint8Array): Response {
  const text = new TextDecoder('latin1').decode(out);
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
  if (end < 0) return new Response('bad CGI output', { status: 502 });
  const headers = new Headers();
  let status = 200;
  for (const line of text.slice(0, end).split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim();
    const v = line.slice(i + 1).trim();
    if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10) || 200;
    else headers.append(k, v);
  }
  const bodyStart = end + (end === crlf ? 4 : 2);
  return new Response(out.slice(bodyStart), { status, headers });
}

function basicPassword(header: string | null): string | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : decoded.slice(i + 1);
}

/** Runs git with a clean config (no user or system config) and fails loudly. */
export function git(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): string {
  const r = Bun.spawnSync(['git', ...args], {
    cwd: options.cwd,
    env: { ...isolatedGitEnv(), ...options.env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** Environment that keeps the machine's git config out of tests. */
export function isolatedGitEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: '/nonexistent',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Warren Test',
    GIT_AUTHOR_EMAIL: 'test@warren.invalid',
    GIT_COMMITTER_NAME: 'Warren Test',
    GIT_COMMITTER_EMAIL: 'test@warren.invalid',
  };
}

/** A submodule to record in a test repository: a gitlink at `path` to `commit`, cloned from `url`. */
export interface TestSubmodule {
  path: string;
  url: string;
  commit: string;
}

/**
 * Creates bare repo `<root>/<name>.git` with one commit holding `files` and the given submodules
 * (written as `.gitmodules` plus gitlinks, so no network is needed); returns its path and commit.
 */
export function createBareRepo(
  root: string,
  name: string,
  files: Record<string, string>,
  work: string,
  submodules: TestSubmodule[] = [],
): { path: string; commit: string } {
  const src = join(work, `${name}-src`);
  mkdirSync(src, { recursive: true });
  git(['init', '-q', '-b', 'main', src]);
  for (const [path, content] of Object.entries(files)) writeFileSync(join(src, path), content);
  if (submodules.length > 0) {
    const text = submodules
      .map((s) => `[submodule "${s.path}"]\n\tpath = ${s.path}\n\turl = ${s.url}\n`)
      .join('');
    writeFileSync(join(src, '.gitmodules'), text);
  }
  git(['add', '-A'], { cwd: src });
  // Gitlinks after `add -A`, which would otherwise drop them (their folders do not exist here).
  for (const s of submodules) {
    git(['update-index', '--add', '--cacheinfo', `160000,${s.commit},${s.path}`], { cwd: src });
  }
  git(['commit', '-q', '-m', `initial ${name}`], { cwd: src });
  const commit = git(['rev-parse', 'HEAD'], { cwd: src }).trim();
  const bare = join(root, `${name}.git`);
  git(['clone', '-q', '--bare', src, bare]);
  return { path: bare, commit };
}
