// A GitTokenSource over HTTP: asks the control plane's git-token endpoint and validates its answer.
import { decode, GitToken } from '../../contract/index.ts';
import type { ProvenCall } from '../control-proof.ts';
import type { GitTokenGrant, GitTokenSource } from './token-cache.ts';

export interface HttpGitTokenSourceOptions {
  /** The control plane's base URL, e.g. `http://127.0.0.1:7400`. */
  controlUrl: string;
  /**
   * Headers proving the node's identity for this one call (its certificate and a fresh proof over the method
   * and URL), made per call so renewals apply.
   */
  headers: (call: ProvenCall) => Record<string, string> | Promise<Record<string, string>>;
  /** Abort a call after this long; 10 s, so git waits at most that for a token. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Error from the control plane call; never carries a token. */
export class GitTokenSourceError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'GitTokenSourceError';
  }
}

/** `POST {controlUrl}/api/v1/workspaces/{id}/git-token`, body decoded with contract's GitToken. */
export function createHttpGitTokenSource(options: HttpGitTokenSourceOptions): GitTokenSource {
  const doFetch = options.fetch ?? fetch;
  return {
    async fetch(workspaceId: string): Promise<GitTokenGrant> {
      const url = `${options.controlUrl.replace(/\/+$/, '')}/api/v1/workspaces/${encodeURIComponent(workspaceId)}/git-token`;
      const res = await doFetch(url, {
        method: 'POST',
        // No body: the proof's digest is that of the empty body.
        headers: { ...(await options.headers({ method: 'POST', url })), accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (!res.ok) throw new GitTokenSourceError(res.status, `git-token request answered ${res.status}`);
      const body = decode(GitToken, await res.json().catch(() => null));
      if (!body.ok) throw new GitTokenSourceError(502, 'git-token answer has an unexpected shape');
      return { token: body.value.token, expiresAt: new Date(body.value.expiresAt) };
    },
  };
}
