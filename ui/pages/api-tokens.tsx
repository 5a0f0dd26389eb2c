// API tokens: create one (its secret shown once), list mine, revoke with confirmation.
import { useEffect, useState } from 'preact/hooks';
import { type ApiToken, type ApiTokenCreated, api, must, type User } from '../api.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { ErrorNotice } from '../components/notice.tsx';
import { SecretField } from '../components/secret-field.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { describe } from '../problem.ts';

const LIFETIMES = [
  { label: 'Never expires', seconds: 0 },
  { label: '1 day', seconds: 86400 },
  { label: '30 days', seconds: 30 * 86400 },
  { label: '1 year', seconds: 365 * 86400 },
];
type Scope = 'read' | 'write' | 'admin';

export function ApiTokens({ user }: { user: User }) {
  const [tokens, setTokens] = useState<ApiToken[]>();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['read', 'write']);
  const [ttl, setTtl] = useState(30 * 86400);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<ApiTokenCreated>();
  const [error, setError] = useState<string>();
  const [revoking, setRevoking] = useState<ApiToken>();

  const load = () =>
    must(api.GET('/api/v1/tokens')).then(
      (r) => setTokens(r.items),
      (e) => {
        setTokens([]);
        setError(describe(e));
      },
    );
  useEffect(() => {
    void load();
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const t = await must(
        api.POST('/api/v1/tokens', {
          body: { name: name.trim(), scopes, ...(ttl ? { ttlSeconds: ttl } : {}) },
        }),
      );
      setCreated(t);
      setName('');
      await load();
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (t: ApiToken) => {
    setRevoking(undefined);
    setError(undefined);
    try {
      await must(api.DELETE('/api/v1/tokens/{id}', { params: { path: { id: t.id } } }));
      if (created?.id === t.id) setCreated(undefined);
      await load();
    } catch (err) {
      setError(describe(err));
    }
  };

  const toggle = (s: Scope) => setScopes((ss) => (ss.includes(s) ? ss.filter((x) => x !== s) : [...ss, s]));
  const allowed: Scope[] = user.role === 'admin' ? ['read', 'write', 'admin'] : ['read', 'write'];
  const active = (tokens ?? []).filter((t) => !t.revokedAt);
  const revoked = (tokens ?? []).filter((t) => t.revokedAt);

  return (
    <section class="card" aria-labelledby="api-tokens-title">
      <h2 id="api-tokens-title">API tokens</h2>
      <p class="muted">
        For the <code>warren</code> CLI and scripts. A token acts as you, within its scopes.
      </p>
      <form class="token-form" onSubmit={create}>
        <div class="field grow">
          <label for="token-name">Token name</label>
          <input
            id="token-name"
            required
            maxLength={64}
            autoComplete="off"
            placeholder="laptop CLI"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </div>
        <fieldset class="field">
          <legend>Scopes</legend>
          <div class="checks">
            {allowed.map((s) => (
              <label key={s} class="check">
                <input type="checkbox" checked={scopes.includes(s)} onChange={() => toggle(s)} /> {s}
              </label>
            ))}
          </div>
        </fieldset>
        <div class="field">
          <label for="token-ttl">Expires</label>
          <select id="token-ttl" value={String(ttl)} onChange={(e) => setTtl(Number(e.currentTarget.value))}>
            {LIFETIMES.map((l) => (
              <option key={l.seconds} value={String(l.seconds)}>
                {l.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </form>
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
      {created ? (
        <div class="created" role="status">
          <strong>Token “{created.name}” created.</strong> Copy it now: it is shown only once.
          <SecretField id="new-token" label="New API token" value={created.token} />
          <button type="button" class="link-button" onClick={() => setCreated(undefined)}>
            I have copied it
          </button>
        </div>
      ) : null}
      {tokens === undefined ? (
        <p class="loading">
          <span class="spinner" aria-hidden="true" /> Loading tokens…
        </p>
      ) : active.length === 0 ? (
        <p class="muted">No active tokens. Create one above to use the CLI.</p>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <caption class="sr-only">Your active API tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col" class="wide">
                  Created
                </th>
                <th scope="col" class="wide">
                  Last used
                </th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {active.map((t) => (
                <tr key={t.id} data-token={t.name}>
                  <th scope="row">{t.name}</th>
                  <td>{t.scopes.join(', ')}</td>
                  <td class="wide">
                    <TimeAgo iso={t.createdAt} />
                  </td>
                  <td class="wide">
                    <TimeAgo iso={t.lastUsedAt} />
                  </td>
                  <td>{t.expiresAt ? <TimeAgo iso={t.expiresAt} /> : 'never'}</td>
                  <td class="cell-actions">
                    <button
                      type="button"
                      class="button small danger-outline"
                      aria-label={`Revoke ${t.name}`}
                      onClick={() => setRevoking(t)}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoked.length > 0 ? (
        <p class="muted small">
          {revoked.length} revoked token{revoked.length === 1 ? '' : 's'} kept for the record:{' '}
          {revoked.map((t) => t.name).join(', ')}.
        </p>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke token"
          danger
          onCancel={() => setRevoking(undefined)}
          onConfirm={() => void revoke(revoking)}
        >
          <p>Anything using this token stops working at once. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
