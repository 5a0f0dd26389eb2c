// Talks to a workspace's git credential socket as git-credential-warren does, for tests.

/** What git sends a helper for github.com. */
export const GITHUB_CREDENTIAL_INPUT = 'protocol=https\nhost=github.com\n\n';

export interface CredentialAsk {
  /** git's credential input; default GITHUB_CREDENTIAL_INPUT. */
  body?: string;
  headers?: Record<string, string>;
  /** `get` (default) or `erase`. */
  op?: string;
}

/** POSTs to the credential endpoint on the unix socket `socket`. */
export function askCredential(socket: string, ask: CredentialAsk = {}): Promise<Response> {
  return fetch(`http://warren/_node/git-credential?op=${ask.op ?? 'get'}`, {
    unix: socket,
    method: 'POST',
    headers: { 'content-type': 'text/plain', ...ask.headers },
    body: ask.body ?? GITHUB_CREDENTIAL_INPUT,
  });
}

/** Whether anything listens on the unix socket `path` (a connect succeeds). */
export async function socketConnects(path: string): Promise<boolean> {
  try {
    await fetch('http://warren/', { unix: path });
    return true;
  } catch {
    return false;
  }
}
