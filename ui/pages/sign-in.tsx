// Sign in: the one-time admin link from `warren up` (pasted or opened); GitHub when a provider is configured.
import { useEffect, useState } from 'preact/hooks';
import { api, must } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { problemFromResponse, unreachable } from '../problem.ts';

/** Where the control plane sends someone whose GitHub sign-in waits for an admin. */
const PENDING_APPROVAL = 'pending_approval';

/** The secret of a pasted sign-in link (or the bare token). */
export function loginToken(input: string): string | undefined {
  const text = input.trim();
  if (!text) return undefined;
  try {
    const url = new URL(text);
    return url.searchParams.get('token') ?? undefined;
  } catch {
    return /^[A-Za-z0-9_.~-]+$/.test(text) ? text : undefined;
  }
}

export interface SignInProps {
  reason?: string | undefined;
  /** The session cookie is set: the app checks who signed in. */
  onSignedIn: () => void;
}

/** A link that was used, expired or never existed: what to do about it. */
const SPENT_LINK =
  'That sign-in link was already used or has expired. Each link works once: ask an admin for a new one (Settings, People).';

export function SignInPage({ reason, onSignedIn }: SignInProps) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [github, setGithub] = useState(false);
  const pending = new URLSearchParams(location.search).get('signin') === PENDING_APPROVAL;
  useEffect(() => {
    // The GitHub button shows only when this instance has a GitHub App configured.
    must(api.GET('/api/v1/auth/providers')).then(
      (p) => setGithub(p.github.enabled),
      () => setGithub(false),
    );
  }, []);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const token = loginToken(value);
    if (!token) {
      setError('That does not look like a sign-in link. Paste the whole link that `warren up` printed.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      // The exchange sets the session cookie and redirects to the UI; following it lands on this page's HTML.
      const r = await api.GET('/auth/login', { params: { query: { token } }, parseAs: 'text' });
      if (r.response.ok) onSignedIn();
      else if (r.response.status === 401 || r.response.status === 400) setError(SPENT_LINK);
      else setError(problemFromResponse(r.response.status, undefined).message);
    } catch {
      setError(unreachable().message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <div class="sign-in-card card">
        <div class="brand big">Warren</div>
        <h1>Sign in</h1>
        {reason ? <ErrorNotice message={reason} /> : null}
        {pending ? (
          <div class="notice hint" role="status">
            You signed in with GitHub. An admin must approve your account before you can use Warren; sign in
            again once they have.
          </div>
        ) : null}
        {github ? (
          <>
            <a class="button github" href="/api/v1/auth/github/login?return_to=%2Fworkspaces">
              <svg viewBox="0 0 16 16" width="18" height="18" aria-hidden="true">
                <path
                  fill="currentColor"
                  d="M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.013 8.013 0 0016 8c0-4.42-3.58-8-8-8z"
                />
              </svg>
              Sign in with GitHub
            </a>
            <div class="or" aria-hidden="true">
              or
            </div>
          </>
        ) : null}
        <p class="muted">
          Open the one-time sign-in link that <code>warren up</code> printed, or paste it here. It is also
          saved as <code>login-link.txt</code> in Warren’s data folder.
        </p>
        <form onSubmit={submit} class="stack">
          <label for="login-link">Sign-in link</label>
          <input
            id="login-link"
            type="text"
            inputMode="url"
            autoComplete="off"
            spellcheck={false}
            placeholder="http://127.0.0.1:7400/auth/login?token=…"
            value={value}
            aria-describedby={error ? 'login-error' : undefined}
            onInput={(e) => {
              setValue(e.currentTarget.value);
              setError(undefined);
            }}
          />
          {error ? (
            <div id="login-error" class="field-error" role="alert">
              {error}
            </div>
          ) : null}
          <button type="submit" class="button primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p class="muted small">
          A link works once. Need another? Ask an admin (<code>warren admin login-link USER</code>). The admin
          locked out? On the control plane’s machine, <code>warren admin login-link --data DIR</code> prints a
          fresh link.
        </p>
      </div>
    </main>
  );
}
