// The one mapping from anything thrown to the wire error shape: 400 validation, 404 unknown route, 500 without internals.
import type { ErrorBody } from '../../contract/index.ts';
import {
  ERROR_STATUS,
  type ErrorCode,
  errorBody,
  type StandardIssueLike,
  validationDetail,
  wantsPage,
} from '../../contract/index.ts';
import { ControlError } from '../errors.ts';
import type { Log } from '../log.ts';
import { messagePage } from './pages.ts';

interface StandardLike {
  '~standard': {
    validate(value: unknown): { issues?: readonly StandardIssueLike[] } | Promise<unknown>;
  };
}

/** Issues of an Elysia validation error, in the contract's one shape, without echoing the (maybe secret) value. */
function validationIssues(error: { type?: string; validator?: unknown; value?: unknown }) {
  const validator = error.validator as (Partial<StandardLike> & { schema?: StandardLike }) | undefined;
  const standard: Partial<StandardLike> | undefined = validator?.['~standard']
    ? validator
    : validator?.schema;
  const result = standard?.['~standard']?.validate(error.value);
  const issues = result && !(result instanceof Promise) ? ((result as { issues?: [] }).issues ?? []) : [];
  return validationDetail(error.type ?? 'body', issues);
}

type Set = { status?: number | string; headers: Record<string, string | number> };

/** Builds the app's `onError` handler. */
export function createErrorHandler(log: Log) {
  return ({
    code,
    error,
    set,
    request,
  }: {
    code: string | number;
    error: unknown;
    set: Set;
    request?: Request;
  }): ErrorBody | Response => {
    set.headers['content-type'] = 'application/json';
    // Elysia writes the body it is handed with `set`, so the status comes from the code here as in errorResponse.
    const fail = (code: ErrorCode, message: string, detail?: unknown): ErrorBody => {
      set.status = ERROR_STATUS[code];
      return errorBody(code, message, detail);
    };
    if (error instanceof ControlError) return fail(error.code, error.message, error.detail);
    const e = error as { type?: string; validator?: unknown; value?: unknown };
    if (code === 'VALIDATION' && e.type !== 'response')
      return fail('invalid_request', `invalid ${e.type ?? 'request'}`, validationIssues(e));
    if (code === 'PARSE') return fail('invalid_request', 'the request body is not valid JSON');
    if (code === 'NOT_FOUND') {
      // A person who typed or followed a link to no page gets a page; the API's paths keep the error shape.
      if (request && request.method === 'GET' && wantsPage(request.headers) && !isApiPath(request.url))
        return messagePage(
          404,
          'There is no such page',
          ['Nothing in Warren lives at this address. It may have moved, or the link was mistyped.'],
          { href: '/', text: 'Open Warren' },
        );
      return fail('not_found', 'no such route');
    }
    // Anything else is our bug: log its name and message (never request data), answer without internals.
    log.error('unexpected error', {
      code: String(code),
      name: (error as Error)?.name,
      // Driver messages end with the bound parameters; keep only the statement part.
      message: String((error as Error)?.message ?? '').split('\nparams:')[0],
      type: e.type,
    });
    return fail('internal', 'internal error');
  };
}

/** True for the API's own paths (and the well-known ones), which answer in the JSON error shape whoever asks. */
function isApiPath(url: string): boolean {
  const path = new URL(url).pathname;
  return path.startsWith('/api/') || path.startsWith('/.well-known/') || path === '/health';
}
