// How API verbs reach a running control plane: URL and admin token from flags or the data dir.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ADMIN_TOKEN_FILE, CONTROL_FILE } from '../control/index.ts';
import { type ControlClient, createControlClient } from '../openapi/client/index.ts';

/** Flags every API verb takes. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  data: { type: 'string' },
  token: { type: 'string' },
} as const;

export interface ConnectionFlags {
  url?: string;
  data?: string;
  token?: string;
}

/** The client for `--url` (else `<data>/control.json`, else http://127.0.0.1:7400) with `--token` (else `<data>/admin-token`). */
export function connect(flags: ConnectionFlags): ControlClient {
  const data = resolve(flags.data ?? '.warren');
  let url = flags.url;
  if (!url && existsSync(join(data, CONTROL_FILE)))
    url = (JSON.parse(readFileSync(join(data, CONTROL_FILE), 'utf8')) as { url: string }).url;
  let token = flags.token;
  if (!token && existsSync(join(data, ADMIN_TOKEN_FILE)))
    token = readFileSync(join(data, ADMIN_TOKEN_FILE), 'utf8').trim();
  return createControlClient(url ?? 'http://127.0.0.1:7400', token ? { token } : {});
}

/** Prints an API error body (or a transport failure) and returns the exit code. */
export function reportError(verb: string, error: unknown, status?: number): number {
  const body = error as { error?: { code?: string; message?: string } } | undefined;
  const what = body?.error ? `${body.error.code}: ${body.error.message}` : String(error);
  process.stderr.write(`warren ${verb}: ${status ? `${status} ` : ''}${what}\n`);
  return 1;
}
