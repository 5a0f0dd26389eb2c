// The proxy's error responses in the one wire shape; the common ones are built once.
import { ERROR_STATUS, type ErrorCode, errorBody, errorResponse as wireError } from '../../contract/index.ts';

const JSON_TYPE = 'application/json';

/**
 * The message of each error this node built (not an app's or another node's answer it passes on), so a browser's
 * page load can get a page saying it instead (app-pages.ts). Weak: the entry goes with the response.
 */
const OWN_ERRORS = new WeakMap<Response, string>();

/** The message of an error response this node built; undefined for any other response. */
export function ownErrorMessage(res: Response): string | undefined {
  return OWN_ERRORS.get(res);
}

function own(res: Response, message: string): Response {
  OWN_ERRORS.set(res, message);
  return res;
}

/** A JSON error response this node built (contract's one writer); `headers` adds e.g. Retry-After. */
export function errorResponse(code: ErrorCode, message: string, headers?: Record<string, string>): Response {
  return own(wireError(code, message, { headers }), message);
}

/** 401 with a challenge; the reason stays in metrics, not in the body. */
export function unauthorized(): Response {
  return errorResponse('unauthorized', 'a valid workspace token is required', {
    'www-authenticate': 'Bearer',
  });
}

/** 404 that does not say whether the workspace exists. */
export function notFound(): Response {
  return errorResponse('not_found', 'no such workspace');
}

export function forbidden(): Response {
  return errorResponse('forbidden', 'the token does not carry the scope this needs');
}

/** 403 to a cookie WebSocket from a page of another origin (cross-site WebSocket hijacking). */
export function foreignOrigin(): Response {
  return errorResponse('forbidden', "only the app's own origin and the Warren UI may use its cookie here");
}

/** 403 to `/w/{id}/_auth` unless the node allows path apps: path mode shares the node's origin among all apps. */
export function pathCookieOff(): Response {
  return errorResponse(
    'forbidden',
    'open the app on its own origin (ws-{id}.<base domain>/_auth); path mode takes a bearer token',
  );
}

/** An error in the one shape as raw HTTP/1.1 bytes, closing the connection (the raw front answers with it). */
export function rawErrorResponse(code: ErrorCode, message: string): Buffer {
  const status = ERROR_STATUS[code];
  const body = JSON.stringify(errorBody(code, message));
  const reason = status === 400 ? 'Bad Request' : 'Error';
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: ${JSON_TYPE}\r\ncache-control: no-store\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** 400 for a request without a usable Host header. */
export function badHost(): Response {
  return errorResponse('invalid_request', 'a valid Host header is required');
}

/**
 * The answer to an exception no handler caught (Bun.serve's `error`): the one error shape, never Bun's page with
 * source lines nor the message. What a parser threw over the request's own bytes (a URL, a WebSocket
 * subprotocol list) is the request's fault, a 400; anything else is ours, a 500.
 */
export function unexpectedError(e: unknown): Response {
  if (e instanceof SyntaxError || (e as { code?: unknown } | undefined)?.code === 'ERR_INVALID_URL')
    return errorResponse('invalid_request', 'the request could not be parsed');
  return errorResponse('internal', 'internal error');
}

/** 503 with Retry-After: the workspace is here but cannot answer now. */
export function unavailable(message: string, retryAfterSec: number): Response {
  return errorResponse('unavailable', message, { 'retry-after': String(retryAfterSec) });
}
