// Sign in: the one-time admin link from `warren up` (pasted or opened); GitHub when a provider is configured.
import { useState } from 'preact/hooks';
import { ErrorNotice } from '../components/notice.tsx';

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

export function SignInPage({ reason }: { reason?: string | undefined }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const submit = (e: Event) => {
    e.preventDefault();
    const token = loginToken(value);
    if (!token) {
      setError('That does not look like a sign-in link. Paste the whole link that `warren up` printed.');
      return;
    }
    location.assign(`/auth/login?token=${encodeURIComponent(token)}`);
  };
  return (
    <main id="main" class="sign-in">
      <div class="sign-in-card card">
        <div class="brand big">Warren</div>
        <h1>Sign in</h1>
        {reason ? <ErrorNotice message={reason} /> : null}
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
          <button type="submit" class="button primary">
            Sign in
          </button>
        </form>
        <p class="muted small">
          A link works once. Need another? Ask an admin: they add people under Settings, People.
        </p>
      </div>
    </main>
  );
}
