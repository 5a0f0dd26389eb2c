// Sign-in with the GitHub App's user authorization: authorize URL with a one-use state, code exchange, identity.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import type * as v from 'valibot';
import { expectShape, type GitHubApp, GitHubError, getAs, toGitHubError } from './github-client.ts';
import { GitHubEmailsResponse, GitHubUserResponse, OAuthTokenResponse } from './github-shapes.ts';
import { failure, githubFailure, type Outcome, success } from './outcome.ts';
import type { StateStore } from './store.ts';

/** Who signed in, as GitHub vouches for it. The control plane matches or creates its user by `githubId`. */
export interface GitHubIdentity {
  githubId: number;
  login: string;
  name: string | null;
  /** The primary email, only when GitHub says it is verified; else null. */
  email: string | null;
  avatarUrl: string | null;
}

/** A completed sign-in: the identity, the user's token (keep it server-side, never in a cookie) and where to go. */
export interface SignedIn {
  identity: GitHubIdentity;
  userToken: string;
  returnTo: string;
}

export interface SignInConfig {
  /** How long a started sign-in may take; default 10 minutes (GitHub's own code lives 10 minutes). */
  stateTtlMs: number;
}

export function defaultSignInConfig(): SignInConfig {
  return { stateTtlMs: 10 * 60_000 };
}

export interface SignInOptions {
  app: GitHubApp;
  states: StateStore;
  config?: SignInConfig;
  /** Epoch milliseconds; injected so tests can move time. */
  now?: () => number;
}

/** The two halves of the web flow. */
export interface SignIn {
  /**
   * Starts a sign-in: stores a fresh state and returns GitHub's authorize URL carrying it. The route
   * also sets `state` in an HttpOnly, SameSite=Lax cookie scoped to the callback path.
   */
  start(input: {
    redirectUrl: string;
    returnTo?: string;
  }): Promise<{ url: string; state: string; expiresAt: number }>;
  /**
   * Finishes it from the callback's `code` and `state`, and the state the browser kept in its cookie
   * (set at start), so a callback link planted in another browser does not sign that browser in. The
   * state is consumed whatever the outcome.
   */
  complete(input: { code: string; state: string; cookieState: string | null }): Promise<Outcome<SignedIn>>;
}

const STATE_RE = /^([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{32,128})$/;

/** Creates the sign-in flow for one App. */
export function createSignIn(options: SignInOptions): SignIn {
  const { app, states } = options;
  const config = options.config ?? defaultSignInConfig();
  const now = options.now ?? Date.now;

  return {
    async start({ redirectUrl, returnTo = '/' }) {
      const id = randomBytes(12).toString('base64url');
      const secret = randomBytes(32).toString('base64url');
      const expiresAt = now() + config.stateTtlMs;
      await states.put({
        id,
        secretHash: sha256(secret),
        redirectUrl,
        returnTo: safeReturnTo(returnTo),
        expiresAt,
      });
      const state = `${id}.${secret}`;
      const { url } = getWebFlowAuthorizationUrl({
        clientType: 'github-app',
        clientId: app.config.clientId,
        redirectUrl,
        state,
        request: app.request,
      });
      return { url, state, expiresAt };
    },

    async complete({ code, state, cookieState }) {
      const m = STATE_RE.exec(state);
      if (!m || code.length === 0 || code.length > 512) {
        return failure('invalid_request', 'invalid sign-in state');
      }
      if (!sameSecret(state, cookieState ?? '')) {
        return failure(
          'invalid_request',
          'sign-in state does not match this browser; start the sign-in again',
        );
      }
      const pending = await states.take(m[1]!);
      // Constant-time on the secret half; absent, wrong and expired all read the same.
      const given = Buffer.from(sha256(m[2]!), 'hex');
      const stored = Buffer.from(pending?.secretHash ?? '0'.repeat(64), 'hex');
      const match = stored.length === given.length && timingSafeEqual(stored, given);
      if (!pending || !match || pending.expiresAt <= now()) {
        return failure('invalid_request', 'invalid or expired sign-in state; start the sign-in again');
      }
      try {
        const userToken = await exchangeCode(app, code, pending.redirectUrl);
        const identity = await fetchIdentity(app, userToken);
        return success({ identity, userToken, returnTo: pending.returnTo });
      } catch (error) {
        return githubFailure(error);
      }
    },
  };
}

async function exchangeCode(app: GitHubApp, code: string, redirectUrl: string): Promise<string> {
  let data: unknown;
  try {
    const res = await exchangeWebFlowCode({
      clientType: 'github-app',
      clientId: app.config.clientId,
      clientSecret: app.config.clientSecret,
      code,
      redirectUrl,
      request: app.request,
    });
    data = res.data;
  } catch (error) {
    throw toGitHubError(error, 'code exchange');
  }
  return expectShape(OAuthTokenResponse, data, 'code exchange').access_token;
}

/** Reads `/user` and `/user/emails` with the user's token. */
export async function fetchIdentity(app: GitHubApp, userToken: string): Promise<GitHubIdentity> {
  const user = await getAs(app, userToken, 'GET /user', {}, GitHubUserResponse);
  let emails: v.InferOutput<typeof GitHubEmailsResponse> = [];
  try {
    emails = await getAs(app, userToken, 'GET /user/emails', { per_page: 100 }, GitHubEmailsResponse);
  } catch (error) {
    // An App without the "Email addresses" permission gets 403/404 here: sign in without an email.
    if (!(error instanceof GitHubError && (error.status === 403 || error.status === 404))) throw error;
  }
  const primary = emails.find((e) => e.primary && e.verified);
  return {
    githubId: user.id,
    login: user.login,
    name: user.name ?? null,
    email: primary?.email ?? null,
    avatarUrl: user.avatar_url ?? null,
  };
}

/** Constant-time equality of two strings (by their digests, so lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(sha256(a), 'hex'), Buffer.from(sha256(b), 'hex'));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Only same-site absolute paths; anything else (`//evil`, `https://…`, `/\evil`) becomes `/` (open redirect). */
export function safeReturnTo(path: string): string {
  return /^\/(?![/\\])[^\s]*$/.test(path) && path.length <= 2048 ? path : '/';
}
