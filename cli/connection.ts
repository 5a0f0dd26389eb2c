// How API verbs reach a running control plane: URL and token from flags, the data dir, or `warren login`'s config.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ADMIN_TOKEN_FILE, CONTROL_FILE } from '../control/index.ts';
import { type ControlClient, createControlClient } from '../openapi/client/index.ts';

/** Flags every API verb takes. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  data: { type: 'string' },
  token: { type: 'string' },
} as const;

/** The connection flags as usage text, for every verb's --help. */
export const CONNECTION_HELP = `Reaching the control plane (first that applies):
  --url URL --token T   a control plane and an API token (wrn_api_…)
  --data DIR            on the control plane's machine: its data dir (control.json, admin-token)
  warren login URL      once, from any machine: stores URL and a token in ${configPathHint()}
  otherwise ./.warren, then http://127.0.0.1:7400`;

export interface ConnectionFlags {
  url?: string;
  data?: string;
  token?: string;
}

/** What `warren login` stores: the control plane and an API token of the person who logged in. */
export interface CliConfig {
  url: string;
  token: string;
}

/** A failure the CLI reports in one line (no stack trace) with the exit code to use. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** `$WARREN_CONFIG`, else `$XDG_CONFIG_HOME/warren/config.json`, else `~/.config/warren/config.json`. */
export function configPath(env: Record<string, string | undefined> = process.env): string {
  if (env.WARREN_CONFIG) return env.WARREN_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'warren', 'config.json');
}

function configPathHint(): string {
  return process.env.WARREN_CONFIG ? process.env.WARREN_CONFIG : '~/.config/warren/config.json';
}

/** The stored login, or undefined when there is none (or it is unreadable). */
export function readConfig(): CliConfig | undefined {
  const path = configPath();
  if (!existsSync(path)) return undefined;
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as Partial<CliConfig>;
    return typeof c.url === 'string' && typeof c.token === 'string'
      ? { url: c.url, token: c.token }
      : undefined;
  } catch {
    throw new CliError(`${path} is not valid JSON; run warren login URL again`);
  }
}

/** Stores the login readable by its owner alone (0600), in a directory only they can list (0700). */
export function writeConfig(config: CliConfig): string {
  const path = configPath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // An existing file keeps its mode on write; the token must not stay readable by others.
  chmodSync(path, 0o600);
  return path;
}

/** Where to reach the control plane and with which token, by the order CONNECTION_HELP gives. */
export function resolveConnection(flags: ConnectionFlags): { url: string; token: string | undefined } {
  const fromData = (dir: string) => {
    const data = resolve(dir);
    const url = existsSync(join(data, CONTROL_FILE))
      ? (JSON.parse(readFileSync(join(data, CONTROL_FILE), 'utf8')) as { url: string }).url
      : undefined;
    const token = existsSync(join(data, ADMIN_TOKEN_FILE))
      ? readFileSync(join(data, ADMIN_TOKEN_FILE), 'utf8').trim()
      : undefined;
    return { url, token };
  };
  if (flags.data !== undefined && !existsSync(flags.data))
    throw new CliError(`--data ${flags.data}: no such directory`, 2);
  const saved = flags.data === undefined ? readConfig() : undefined;
  const found = flags.data !== undefined ? fromData(flags.data) : (saved ?? fromData('.warren'));
  return {
    url: flags.url ?? found.url ?? 'http://127.0.0.1:7400',
    token: flags.token ?? found.token,
  };
}

/** The client for the resolved control plane; a control plane that does not answer is a CliError. */
export function connect(flags: ConnectionFlags): ControlClient {
  const { url, token } = resolveConnection(flags);
  const reach: typeof fetch = Object.assign(
    async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      try {
        return await fetch(input, init);
      } catch (e) {
        throw new CliError(
          `cannot reach the control plane at ${url} (${(e as Error).message}); is it running? ` +
            'pass --url URL, or run warren login URL',
        );
      }
    },
    { preconnect: fetch.preconnect },
  );
  return createControlClient(url, { ...(token ? { token } : {}), fetch: reach });
}

/** One line for an API error body (or a transport failure), with what to do about a 401. */
function errorLine(verb: string, error: unknown, status?: number): string {
  const body = error as { error?: { code?: string; message?: string } } | undefined;
  const what = body?.error ? `${body.error.code}: ${body.error.message}` : String(error);
  const hint =
    status === 401 ? ' (no valid API token: pass --token T or --data DIR, or run warren login URL)' : '';
  return `warren ${verb}: ${status ? `${status} ` : ''}${what}${hint}`;
}

/** Prints an API error body (or a transport failure) and returns the exit code. */
export function reportError(verb: string, error: unknown, status?: number): number {
  process.stderr.write(`${errorLine(verb, error, status)}\n`);
  return 1;
}

/** The data of an API answer, or a CliError carrying its error in one line. */
export function must<T>(verb: string, r: { data?: T; error?: unknown; response: Response }): NonNullable<T> {
  if (r.data !== undefined && r.data !== null) return r.data as NonNullable<T>;
  throw new CliError(errorLine(verb, r.error ?? `HTTP ${r.response.status}`, r.response.status));
}
