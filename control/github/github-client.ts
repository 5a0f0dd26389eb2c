// The octokit clients Warren uses against one GitHub (or the local fake): REST requests and the App's auth.
import { createAppAuth } from '@octokit/auth-app';
import { request as octokitRequest } from '@octokit/request';
import * as v from 'valibot';
import type { GitHubConfig } from './app-config.ts';

/** octokit's request function, bound to the configured API root. */
export type GitHubRequest = typeof octokitRequest;
type AppAuth = ReturnType<typeof createAppAuth>;

/** The configured GitHub App: its config, a request function for its API root, and its JWT/installation auth. */
export interface GitHubApp {
  config: GitHubConfig;
  request: GitHubRequest;
  auth: AppAuth;
}

/** Builds the App's clients. Tokens are not cached here: the node caches them per workspace until near expiry. */
export function createGitHubApp(config: GitHubConfig): GitHubApp {
  const request = octokitRequest.defaults({
    baseUrl: config.apiBaseUrl,
    headers: { 'user-agent': 'warren-control', 'x-github-api-version': '2022-11-28' },
  });
  const auth = createAppAuth({
    appId: config.appId,
    privateKey: config.privateKey,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    request,
    // No cache: octokit's LRU keeps tokens a fixed 59 minutes whatever their expiry says.
    cache: { get: () => undefined as unknown as string, set: () => {} },
    log: { warn: () => {} },
  });
  return { config, request, auth };
}

/** A GitHub call failed in a way the caller must handle: `status` is GitHub's (0 when unreachable). */
export class GitHubError extends Error {
  /** `user_token_rejected`: GitHub answered 401 to a user's token (expired or revoked): sign in again. */
  readonly code: 'github_unreachable' | 'github_rejected' | 'github_bad_response' | 'user_token_rejected';
  readonly status: number;
  /** Worth retrying later (GitHub unreachable or 5xx). */
  readonly retryable: boolean;
  constructor(code: GitHubError['code'], status: number, message: string) {
    super(message);
    this.name = 'GitHubError';
    this.code = code;
    this.status = status;
    this.retryable = code === 'github_unreachable' || status >= 500;
  }
}

/** Turns whatever octokit threw into a GitHubError whose message carries no token. */
export function toGitHubError(error: unknown, what: string): GitHubError {
  if (error instanceof GitHubError) return error;
  // octokit's RequestError (name 'HttpError') carries GitHub's status; a status of 500+ is GitHub's own failure.
  const status = (error as { status?: unknown } | null)?.status;
  if (error instanceof Error && error.name === 'HttpError' && typeof status === 'number' && status > 0) {
    return new GitHubError('github_rejected', status, `${what}: GitHub answered ${status}`);
  }
  return new GitHubError('github_unreachable', 0, `${what}: GitHub could not be reached`);
}

/** Validates a GitHub response body against `schema`, or throws github_bad_response. */
export function expectShape<S extends v.GenericSchema>(
  schema: S,
  data: unknown,
  what: string,
): v.InferOutput<S> {
  const r = v.safeParse(schema, data);
  if (!r.success) {
    const issue = r.issues[0];
    const at = issue?.path?.map((p) => String(p.key)).join('.') ?? '';
    throw new GitHubError(
      'github_bad_response',
      502,
      `${what}: unexpected shape at '${at}': ${issue?.message}`,
    );
  }
  return r.output;
}

/** Calls `GET`-style endpoints with a user's token and validates the answer (a 401 means: sign in again). */
export async function getAs<S extends v.GenericSchema>(
  app: GitHubApp,
  token: string,
  route: string,
  params: Record<string, unknown>,
  schema: S,
): Promise<v.InferOutput<S>> {
  let data: unknown;
  try {
    const res = await app.request(route, { ...params, headers: { authorization: `bearer ${token}` } });
    data = res.data;
  } catch (error) {
    const e = toGitHubError(error, route);
    if (e.status === 401)
      throw new GitHubError(
        'user_token_rejected',
        401,
        'GitHub no longer accepts your sign-in; sign in with GitHub again',
      );
    throw e;
  }
  return expectShape(schema, data, route);
}
