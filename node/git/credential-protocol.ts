// git's credential helper protocol: parsing a request (strictly) and writing an answer.

/** The fields of a request Warren acts on; `host` may carry a port (`127.0.0.1:8080`). */
export interface CredentialRequest {
  protocol: string;
  host: string;
  path: string | null;
  username: string | null;
  /** Present on `erase`: the password git found rejected. */
  password: string | null;
}

/** What the endpoint returns for a request; `expiresAt` becomes `password_expiry_utc`. */
export interface CredentialAnswer {
  protocol: string;
  host: string;
  username: string;
  password: string;
  expiresAt: Date;
}

/** Keys git may repeat (`wwwauth[]`, `capability[]`, `state[]`); every other key may appear once. */
const REPEATABLE = /\[\]$/;
const KEY = /^[A-Za-z0-9_[\]-]{1,64}$/;
const MAX_LINES = 64;

/**
 * Parses git's `key=value` lines. Refuses `\r` and `\0` anywhere, lines without `=`, repeated keys
 * (a value smuggling a newline would otherwise override a field), and a missing or empty protocol or host.
 * A `url=` is split into protocol, host and path as git itself does.
 */
export function parseCredentialRequest(
  text: string,
): { ok: true; value: CredentialRequest } | { ok: false; message: string } {
  if (/[\r\0]/.test(text)) return { ok: false, message: 'credential input must not contain CR or NUL' };
  const lines = text.split('\n');
  // git ends the request with a blank line (or EOF); nothing may follow it.
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length > MAX_LINES) return { ok: false, message: 'too many credential lines' };
  const fields = new Map<string, string>();
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq <= 0) return { ok: false, message: 'each credential line must be key=value' };
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (!KEY.test(key)) return { ok: false, message: 'invalid credential key' };
    if (REPEATABLE.test(key)) continue;
    if (fields.has(key)) return { ok: false, message: `credential key '${key}' given twice` };
    fields.set(key, value);
  }
  const url = fields.get('url');
  if (url !== undefined) {
    const parsed = splitUrl(url);
    if (!parsed) return { ok: false, message: 'invalid url' };
    for (const [k, v] of Object.entries(parsed)) {
      if (v !== null && fields.has(k) && fields.get(k) !== v)
        return { ok: false, message: `url disagrees with ${k}` };
      if (v !== null) fields.set(k, v);
    }
  }
  const protocol = fields.get('protocol') ?? '';
  const host = fields.get('host') ?? '';
  if (!/^[a-z][a-z0-9+.-]{0,15}$/.test(protocol))
    return { ok: false, message: 'protocol missing or invalid' };
  if (host === '') return { ok: false, message: 'host missing or empty' };
  if (!/^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) {
    return { ok: false, message: 'host invalid' };
  }
  return {
    ok: true,
    value: {
      protocol,
      host: host.toLowerCase(),
      path: fields.get('path') ?? null,
      username: fields.get('username') ?? null,
      password: fields.get('password') ?? null,
    },
  };
}

function splitUrl(url: string): { protocol: string; host: string; path: string | null } | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/?#]*)(?:\/([^?#]*))?/.exec(url);
  if (!m) return null;
  return { protocol: m[1]!, host: m[2]!, path: m[3] ? m[3] : null };
}

/** Writes an answer in git's format, ending with the blank line. Values are checked to be single-line. */
export function formatCredentialAnswer(answer: CredentialAnswer): string {
  const fields: [string, string][] = [
    ['protocol', answer.protocol],
    ['host', answer.host],
    ['username', answer.username],
    ['password', answer.password],
    ['password_expiry_utc', String(Math.floor(answer.expiresAt.getTime() / 1000))],
  ];
  for (const [k, v] of fields) {
    if (/[\r\n\0]/.test(v)) throw new Error(`credential ${k} would break the protocol`);
  }
  return `${fields.map(([k, v]) => `${k}=${v}`).join('\n')}\n\n`;
}
