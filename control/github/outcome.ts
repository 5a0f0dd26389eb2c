// The result union the GitHub operations return; `code` maps to an HTTP status through contract's ERROR_STATUS.
import { type ErrorCode, errorResponse } from '../../contract/index.ts';
import { GitHubError } from './github-client.ts';

/** Success with a value, or a wire error code and a message safe to show (no secrets). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

export function success<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function failure<T = never>(code: ErrorCode, message: string): Outcome<T> {
  return { ok: false, code, message };
}

/** Maps a GitHubError to an outcome: a rejected user token → 409, unreachable or 5xx → 503 (retry), else → 502. */
export function githubFailure<T = never>(error: unknown): Outcome<T> {
  // Not Warren's credentials that failed but the stored GitHub sign-in: a 409 the UI answers by signing in again.
  if (error instanceof GitHubError && error.code === 'user_token_rejected')
    return failure('conflict', error.message);
  if (error instanceof GitHubError)
    return failure(error.retryable ? 'unavailable' : 'bad_gateway', error.message);
  throw error;
}

/** The HTTP answer for an outcome: the value as JSON, or the one error shape with its status. */
export function outcomeResponse<T>(outcome: Outcome<T>, status = 200): Response {
  if (outcome.ok) return Response.json(outcome.value, { status, headers: { 'cache-control': 'no-store' } });
  const headers: Record<string, string> = outcome.code === 'unavailable' ? { 'retry-after': '5' } : {};
  return errorResponse(outcome.code, outcome.message, { headers });
}
