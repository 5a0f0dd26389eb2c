// Response maps for route definitions: the success schema plus the error shape under each error status.
import type * as v from 'valibot';
import { ErrorBody } from '../../contract/index.ts';

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 422 | 500 | 502 | 503;

/** `{ 200: ok, 400: ErrorBody, … }` so the spec and the generated client know every error answer. */
export function responses<S extends v.GenericSchema, E extends ErrorStatus>(ok: S, ...errors: E[]) {
  const map = { 200: ok } as { 200: S } & Record<E | 500, typeof ErrorBody>;
  for (const status of [...errors, 500 as const]) (map as Record<number, unknown>)[status] = ErrorBody;
  return map;
}

/** Security requirement for routes taking a user's API token (or the UI session cookie). */
export const userSecurity: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];
/** Security requirement for routes taking a node certificate: always with the node's proof of possession. */
export const nodeSecurity: Record<string, string[]>[] = [{ nodeCertificate: [], nodeProof: [] }];
