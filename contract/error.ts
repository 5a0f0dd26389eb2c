// The one JSON error shape every Warren process speaks on the wire.
import * as v from 'valibot';

/** Stable error codes and the HTTP status each one maps to. */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  illegal_transition: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  misdirected: 421,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export const ErrorBody = v.object({
  error: v.object({
    code: v.string(),
    message: v.string(),
    detail: v.optional(v.unknown()),
  }),
});
export type ErrorBody = v.InferOutput<typeof ErrorBody>;

/** Builds the wire error body; `detail` must never carry secrets or stack traces. */
export function errorBody(code: ErrorCode, message: string, detail?: unknown): ErrorBody {
  return detail === undefined ? { error: { code, message } } : { error: { code, message, detail } };
}

/** One problem with a request's input: where (`body`, `query`, `param`, …), the dotted path, and what is wrong. */
export interface ValidationIssue {
  in: string;
  path: string;
  message: string;
}

/** An issue as a Standard Schema validator reports it (valibot's, Elysia's). */
export interface StandardIssueLike {
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: unknown }>;
}

/**
 * The `detail` of every `invalid_request` about a schema, control's and the node's alike: `{ issues }`, at most
 * 20, never echoing the input (it may hold a secret).
 */
export function validationDetail(
  where: string,
  issues: readonly StandardIssueLike[],
): { issues: ValidationIssue[] } {
  return {
    issues: issues.slice(0, 20).map((i) => ({
      in: where,
      path: (i.path ?? [])
        .map((s) => String(typeof s === 'object' && s !== null && 'key' in s ? s.key : s))
        .join('.'),
      message: i.message,
    })),
  };
}

/**
 * The one writer of error responses: the body in the wire shape, the status its code maps to, JSON, never cached.
 * `headers` adds e.g. Retry-After or WWW-Authenticate.
 */
export function errorResponse(
  code: ErrorCode,
  message: string,
  options: { detail?: unknown; headers?: Record<string, string> } = {},
): Response {
  return new Response(JSON.stringify(errorBody(code, message, options.detail)), {
    status: ERROR_STATUS[code],
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...options.headers },
  });
}
