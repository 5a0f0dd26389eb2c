// Settings: the account, API tokens, and (for admins) join tokens for new nodes.
import { useEffect } from 'preact/hooks';
import type { User } from '../api.ts';
import { ApiTokens } from './api-tokens.tsx';
import { JoinTokens } from './join-tokens.tsx';
import { Users } from './users.tsx';

export function SettingsPage({ user }: { user: User }) {
  useEffect(() => {
    if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  }, []);
  return (
    <div class="page">
      <div class="page-head">
        <h1 tabIndex={-1}>Settings</h1>
      </div>
      <section class="card" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <dl class="facts compact">
          <div>
            <dt>Name</dt>
            <dd>{user.name}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{user.email ?? 'none'}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{user.role}</dd>
          </div>
          <div>
            <dt>GitHub</dt>
            <dd>{user.githubLogin ?? 'not linked'}</dd>
          </div>
        </dl>
      </section>
      <ApiTokens user={user} />
      {user.role === 'admin' ? <Users /> : null}
      {user.role === 'admin' ? (
        <JoinTokens />
      ) : (
        <section class="card">
          <h2>Add a node</h2>
          <p class="muted">
            Only admins create join tokens. Ask one for a token and run its command on the machine.
          </p>
        </section>
      )}
    </div>
  );
}
