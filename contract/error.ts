// The one JSON error shape every Warren process speaks on the wire.
import * as v from 'valibot';

/** Stable error codes and the HTTP status each one maps to. */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
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
