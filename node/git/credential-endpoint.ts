// The node's `/_node/git-credential` endpoint: git credential requests from workspaces, answered with tokens.
import type { WorkspaceStatus } from '../../contract/index.ts';
import { errorResponse } from '../../contract/index.ts';
import { formatCredentialAnswer, parseCredentialRequest } from './credential-protocol.ts';
import type { GitTokenCache } from './token-cache.ts';

/** The node's runtime registry of workspaces, as the endpoint sees it (every one, not a primary). */
export interface GitWorkspaces {
  get(workspaceId: string): { status: WorkspaceStatus } | undefined;
}

export interface GitCredentialConfig {
  /**
   * `protocol://host[:port]` origins tokens are handed to; default `https://github.com` only. Tests add
   * their local git server. Anything else gets no token, so a token never leaves for another host.
   */
  allowedOrigins: string[];
  /** Largest request body; git sends a few hundred bytes. 8 KiB. */
  maxBodyBytes: number;
}

export function defaultGitCredentialConfig(): GitCredentialConfig {
  return { allowedOrigins: ['https://github.com'], maxBodyBytes: 8 * 1024 };
}

/** What the server knows about the connection, which the Request itself does not carry. */
export interface GitCredentialContext {
  /**
   * The workspace whose socket the request arrived on. Nothing in the request can name another: the socket
   * is the identity (one per workspace, reachable only from inside that workspace's run folder).
   */
  workspaceId: string;
}

export interface GitCredentialOptions {
  workspaces: GitWorkspaces;
  tokens: GitTokenCache;
  config?: GitCredentialConfig;
}

/** Workspace states whose processes may use git. */
const LIVE: readonly WorkspaceStatus[] = ['starting', 'running'];

/**
 * Creates the handler. `POST ?op=get` (default) answers a credential; `POST ?op=erase` drops the token git
 * reports as rejected. Order of checks: no browser headers, POST, the socket's workspace being live on this
 * node, then the credential input.
 */
export function createGitCredentialHandler(
  options: GitCredentialOptions,
): (req: Request, ctx: GitCredentialContext) => Promise<Response> {
  const config = options.config ?? defaultGitCredentialConfig();
  const allowed = new Set(config.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, '')));
  return async (req, ctx) => {
    // A browser cannot reach a unix socket; refusing its headers anyway costs nothing (defence in depth).
    if (req.headers.has('origin') || req.headers.has('referer'))
      return errorResponse('forbidden', 'requests carrying Origin or Referer are refused');
    if (req.method !== 'POST') return errorResponse('method_not_allowed', 'use POST');
    const { workspaceId } = ctx;
    const workspace = options.workspaces.get(workspaceId);
    if (!workspace || !LIVE.includes(workspace.status))
      return errorResponse('not_found', 'workspace not found on this node');

    const body = await readLimited(req, config.maxBodyBytes);
    if (body === null) return errorResponse('invalid_request', 'credential input too large');
    const parsed = parseCredentialRequest(body);
    if (!parsed.ok) return errorResponse('invalid_request', parsed.message);
    const { protocol, host } = parsed.value;
    if (!allowed.has(`${protocol}://${host}`))
      return errorResponse('invalid_request', 'no credentials for that host');

    const op = new URL(req.url).searchParams.get('op') ?? 'get';
    if (op === 'erase') {
      if (parsed.value.password) options.tokens.invalidate(workspaceId, parsed.value.password);
      return new Response(null, { status: 204 });
    }
    if (op !== 'get') return errorResponse('invalid_request', 'op must be get or erase');

    const token = await options.tokens.get(workspaceId);
    if (!token.ok) {
      const res = errorResponse('unavailable', token.message);
      res.headers.set('retry-after', String(Math.ceil(token.retryAfterMs / 1000)));
      return res;
    }
    const answer = formatCredentialAnswer({
      protocol,
      host,
      username: 'x-access-token',
      password: token.token,
      expiresAt: token.expiresAt,
    });
    return new Response(answer, {
      headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    });
  };
}

/** Reads at most `max` bytes of the body; null when it is longer (stops reading there). */
async function readLimited(req: Request, max: number): Promise<string | null> {
  if (Number(req.headers.get('content-length') ?? '0') > max) return null;
  if (!req.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > max) return null;
    chunks.push(chunk);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}
