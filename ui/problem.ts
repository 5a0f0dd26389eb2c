// API failures turned into sentences a person can act on.

/** An error from the control plane (or the way to it), with a message fit to show as it is. */
export class Problem extends Error {
  constructor(
    /** What went wrong and what to do next. */
    message: string,
    /** HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'Problem';
  }
}

interface WireError {
  error?: { code?: string; message?: string; detail?: { issues?: { path?: string; message?: string }[] } };
}

const sentence = (s: string) => {
  const t = s.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
};

/** The control plane did not answer at all. */
export function unreachable(): Problem {
  return new Problem(
    'Warren’s control plane did not answer. Check that `warren up` is still running, then try again.',
    0,
    'unreachable',
  );
}

/** Words for an error answer: the server's own message plus what to do about it. */
export function problemFromResponse(status: number, body: unknown): Problem {
  const e = (body as WireError | undefined)?.error;
  const code = e?.code ?? 'unknown';
  const said = e?.message ? sentence(e.message) : '';
  switch (status) {
    case 400: {
      const issues = (e?.detail?.issues ?? [])
        .map((i) => `${i.path ? `${i.path}: ` : ''}${i.message ?? 'invalid'}`)
        .join('; ');
      return new Problem(
        issues
          ? `Please fix: ${issues}.`
          : `${said || 'The request was not valid.'} Check the form and try again.`,
        status,
        code,
      );
    }
    case 401:
      return new Problem('Your session has ended. Sign in again to continue.', status, code);
    case 403:
      return new Problem(
        `${said || 'You may not do this.'} Ask an admin if you need this permission.`,
        status,
        code,
      );
    case 404:
      return new Problem(
        `${said || 'Not found.'} It may have been deleted; reload to see what is there now.`,
        status,
        code,
      );
    case 409:
      return new Problem(
        `${said || 'That conflicts with the current state.'} Wait for the change in progress to finish, then try again.`,
        status,
        code,
      );
    case 429:
      return new Problem('Too many requests just now. Wait a few seconds and try again.', status, code);
    default:
      if (status >= 500)
        return new Problem(
          `The control plane failed (${status}${e?.code ? `, ${e.code}` : ''}). Try again; if it keeps failing, check its log.`,
          status,
          code,
        );
      return new Problem(said || `Unexpected answer (${status}).`, status, code);
  }
}

/** Any thrown value as a message to show. */
export function describe(e: unknown): string {
  if (e instanceof Problem) return e.message;
  return e instanceof Error ? e.message : String(e);
}
