// Test driver for the GitHub sign-in: plays the browser and GitHub's authorize page against a FakeGitHub.
import { type ControlClient, createControlClient } from '../../openapi/client/index.ts';
import type { FakeGitHub } from '../github/testing/index.ts';

/** A generated client that does not follow redirects (so a test sees the 302 and its cookies). */
export function manualRedirectClient(url: string, token?: string): ControlClient {
  return createControlClient(url, {
    ...(token ? { token } : {}),
    fetch: Object.assign(
      (input: RequestInfo | URL) => fetch(new Request(input as Request, { redirect: 'manual' })),
      { preconnect: fetch.preconnect },
    ),
  });
}

/** `name=value` of every `Set-Cookie` in a response, by name ('' when cleared). */
export function setCookies(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of response.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair!.indexOf('=');
    out[pair!.slice(0, i).trim()] = pair!.slice(i + 1).trim();
  }
  return out;
}

export interface GitHubSignInResult {
  /** The callback's answer. */
  response: Response;
  /** Where the callback sent the browser. */
  location: string | null;
  /** The session cookie's value when one was set. */
  session: string | undefined;
  /** The state cookie the login set (for tests that tamper with it). */
  state: string;
}

/**
 * Signs `githubUserId` in: GET login (state cookie, redirect to GitHub's authorize URL), GitHub approves
 * and returns a code, GET callback with the code, the state and the state cookie. `cookie` adds to the
 * callback's cookies (e.g. an existing session, to link accounts).
 */
export async function signInWithGitHub(
  controlUrl: string,
  fake: FakeGitHub,
  githubUserId: number,
  options: { returnTo?: string; cookie?: string } = {},
): Promise<GitHubSignInResult> {
  const client = manualRedirectClient(controlUrl);
  const login = await client.GET('/api/v1/auth/github/login', {
    params: { query: options.returnTo ? { return_to: options.returnTo } : {} },
  });
  if (login.response.status !== 302) throw new Error(`login answered ${login.response.status}`);
  const authorize = new URL(login.response.headers.get('location') ?? '');
  const state = authorize.searchParams.get('state') ?? '';
  const cookieState = setCookies(login.response).warren_github_state ?? '';
  const code = fake.authorize(githubUserId, authorize.searchParams.get('redirect_uri'));
  const callback = await client.GET('/api/v1/auth/github/callback', {
    params: { query: { code, state } },
    headers: {
      cookie: [`warren_github_state=${cookieState}`, options.cookie].filter(Boolean).join('; '),
    },
  });
  const session = setCookies(callback.response).warren_session;
  return {
    response: callback.response,
    location: callback.response.headers.get('location'),
    session: session || undefined,
    state,
  };
}
