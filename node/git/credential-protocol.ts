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
 * A `url=` is read by the WHATWG URL parser alone, and must agree with any protocol=, host= and path= given.
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
    if (typeof parsed === 'string') return { ok: false, message: parsed };
    for (const [k, v] of Object.entries(parsed)) {
      if (v === null) continue;
      const given = fields.get(k);
      // The parser lower-cases the host; a host= line may not have.
      if (given !== undefined && (k === 'host' ? given.toLowerCase() : given) !== v)
        return { ok: false, message: `url disagrees with ${k}` };
      fields.set(k, v);
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

/**
 * Protocol, host and path of a `url=` as the WHATWG URL parser reads it (the one parser: a hand-written split
 * read `https://evil.example#@github.com/` as github.com), or why it is refused. Userinfo, queries and fragments
 * have no place in a credential request, and each is a way to make two parsers disagree on the host, so a url
 * carrying any of them — even empty — is refused rather than cleaned.
 */
function splitUrl(url: string): { protocol: string; host: string; path: string | null } | string {
  // `https:github.com` and `https:///github.com` parse as github.com too, where git reads no host at all; a
  // credential url is `scheme://host…`.
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/\\]/.test(url)) return 'invalid url';
  if (url.includes('@')) return 'url must not carry userinfo';
  if (url.includes('?') || url.includes('#')) return 'url must not carry a query or fragment';
  const u = URL.parse(url);
  if (!u || u.host === '') return 'invalid url';
  let path: string;
  try {
    // Decoded, as git itself fills `path` from a url.
    path = decodeURIComponent(u.pathname.replace(/^\//, ''));
  } catch {
    return 'invalid url';
  }
  return { protocol: u.protocol.slice(0, -1), host: u.host, path: path === '' ? null : path };
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
