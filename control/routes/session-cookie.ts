// The UI session cookie: set once a user proved who they are (login link or GitHub), cleared at logout.
import { SESSION_COOKIE } from '../auth/index.ts';
import type { ControlDeps } from '../deps.ts';

/** `Set-Cookie` value for a new session: HttpOnly, SameSite=Lax, whole site, Secure behind https. */
export function sessionCookie(deps: ControlDeps, session: { secret: string; expiresAt: number }): string {
  const maxAge = Math.floor((session.expiresAt - deps.clock.now()) / 1000);
  return `${SESSION_COOKIE}=${session.secret}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${maxAge}${secureFlag(deps)}`;
}

/** `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(deps: ControlDeps): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0${secureFlag(deps)}`;
}

/** `; Secure` when the control plane is reached over https. */
export function secureFlag(deps: ControlDeps): string {
  return deps.publicUrl.startsWith('https:') ? '; Secure' : '';
}

/** The value of cookie `name` in the request, if any. */
export function requestCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
