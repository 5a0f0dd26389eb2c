// Join tokens (admin): a one-use token for a machine to join as a node, and the command to run there.
import { useState } from 'preact/hooks';
import { api, type JoinTokenCreated, must } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { SecretField } from '../components/secret-field.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { describe } from '../problem.ts';

const VALIDITY = [
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86400 },
  { label: '7 days', seconds: 7 * 86400 },
];

export function JoinTokens() {
  const [laptop, setLaptop] = useState(true);
  const [ttl, setTtl] = useState(3600);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<JoinTokenCreated>();
  const [error, setError] = useState<string>();

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setCreated(await must(api.POST('/api/v1/join-tokens', { body: { laptop, ttlSeconds: ttl } })));
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" id="join-tokens" aria-labelledby="join-title">
      <h2 id="join-title">Add a node</h2>
      <p class="muted">
        Create a one-use join token, then run the command on the machine that should host workspaces. It needs
        Warren installed and must reach this control plane.
      </p>
      <form class="token-form" onSubmit={create}>
        <label class="check">
          <input type="checkbox" checked={laptop} onChange={(e) => setLaptop(e.currentTarget.checked)} /> It
          is a laptop (shown as “awaiting agent”, not offline, while asleep)
        </label>
        <div class="field">
          <label for="join-ttl">Valid for</label>
          <select id="join-ttl" value={String(ttl)} onChange={(e) => setTtl(Number(e.currentTarget.value))}>
            {VALIDITY.map((v) => (
              <option key={v.seconds} value={String(v.seconds)}>
                {v.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create join token'}
        </button>
      </form>
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
      {created ? (
        <div class="created" role="status">
          <SecretField id="join-command" label="Run this on the machine" value={created.command} />
          <p class="muted small">
            Works once, expires <TimeAgo iso={created.expiresAt} />. The node appears on the Nodes page when
            it joins.
          </p>
        </div>
      ) : null}
    </section>
  );
}
