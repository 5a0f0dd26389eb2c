// People (admin): who can sign in, adding someone with a one-time sign-in link to hand over, a fresh link for
// someone locked out, and disabling or deleting people (their sessions and tokens end at once).
import { useEffect, useState } from 'preact/hooks';
import { api, must, type User } from '../api.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { ErrorNotice } from '../components/notice.tsx';
import { SecretField } from '../components/secret-field.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { describe } from '../problem.ts';

type Created = { user: User; loginLink: string; fresh?: true };
/** What an admin does to one person; disabling and deleting ask first. */
type PersonAction = 'link' | 'disable' | 'enable' | 'delete';

export function Users() {
  const [users, setUsers] = useState<User[]>();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Created>();
  const [error, setError] = useState<string>();
  const [approving, setApproving] = useState<string>();
  const [acting, setActing] = useState<string>();
  const [confirming, setConfirming] = useState<{ user: User; action: 'disable' | 'delete' }>();

  const load = () =>
    must(api.GET('/api/v1/users')).then(
      (r) => setUsers(r.items),
      (e) => {
        setUsers([]);
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
      const r = await must(
        api.POST('/api/v1/users', {
          body: { name: name.trim(), role, ...(email.trim() ? { email: email.trim() } : {}) },
        }),
      );
      setCreated({ user: r.user, loginLink: r.loginLink });
      setName('');
      setEmail('');
      await load();
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  const approve = async (u: User) => {
    setApproving(u.id);
    setError(undefined);
    try {
      await must(api.POST('/api/v1/users/{id}/approve', { params: { path: { id: u.id } } }));
      await load();
    } catch (err) {
      setError(describe(err));
    } finally {
      setApproving(undefined);
    }
  };

  const act = async (u: User, action: PersonAction) => {
    setConfirming(undefined);
    setActing(u.id);
    setError(undefined);
    const params = { params: { path: { id: u.id } } };
    try {
      if (action === 'link') {
        const r = await must(api.POST('/api/v1/users/{id}/login-link', params));
        setCreated({ user: u, loginLink: r.loginLink, fresh: true });
      } else if (action === 'disable') await must(api.POST('/api/v1/users/{id}/disable', params));
      else if (action === 'enable') await must(api.POST('/api/v1/users/{id}/enable', params));
      else await must(api.DELETE('/api/v1/users/{id}', params));
      await load();
    } catch (err) {
      setError(describe(err));
    } finally {
      setActing(undefined);
    }
  };

  return (
    <section class="card" aria-labelledby="users-title">
      <h2 id="users-title">People</h2>
      <p class="muted">Add someone, then hand them their one-time sign-in link.</p>
      <form class="token-form" onSubmit={create}>
        <div class="field grow">
          <label for="user-name">Name</label>
          <input
            id="user-name"
            required
            maxLength={64}
            autoComplete="off"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </div>
        <div class="field grow">
          <label for="user-email">
            Email <span class="optional">optional</span>
          </label>
          <input
            id="user-email"
            type="email"
            autoComplete="off"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="user-role">Role</label>
          <select
            id="user-role"
            value={role}
            onChange={(e) => setRole(e.currentTarget.value as 'member' | 'admin')}
          >
            <option value="member">Member</option>
            <option value="admin">Admin</option>
          </select>
        </div>
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add person'}
        </button>
      </form>
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
      {created ? (
        <div class="created" role="status">
          <strong>
            {created.fresh ? `A new link for ${created.user.name}.` : `${created.user.name} added.`}
          </strong>{' '}
          Send them this link; it works once.
          <SecretField
            id="user-link"
            label={`Sign-in link for ${created.user.name}`}
            value={created.loginLink}
          />
        </div>
      ) : null}
      {users && users.length > 0 ? (
        <div class="table-wrap">
          <table class="table">
            <caption class="sr-only">People who can sign in</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" class="wide">
                  Email
                </th>
                <th scope="col" class="wide">
                  GitHub
                </th>
                <th scope="col">Role</th>
                <th scope="col" class="wide">
                  Added
                </th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id} data-user={u.name}>
                  <th scope="row">{u.name}</th>
                  <td class="wide">{u.email ?? '—'}</td>
                  <td class="wide">{u.githubLogin ?? '—'}</td>
                  <td>{u.role}</td>
                  <td class="wide">
                    <TimeAgo iso={u.createdAt} />
                  </td>
                  <td>
                    {u.status === 'pending' ? (
                      <button
                        type="button"
                        class="button small primary"
                        disabled={approving === u.id}
                        onClick={() => void approve(u)}
                      >
                        {approving === u.id ? 'Approving…' : 'Approve'}
                        <span class="sr-only"> {u.name}</span>
                      </button>
                    ) : u.disabledAt ? (
                      'disabled'
                    ) : (
                      'active'
                    )}
                  </td>
                  <td class="actions">
                    {u.disabledAt ? (
                      <button
                        type="button"
                        class="button small"
                        disabled={acting === u.id}
                        onClick={() => void act(u, 'enable')}
                      >
                        Enable<span class="sr-only"> {u.name}</span>
                      </button>
                    ) : (
                      <>
                        <button
                          type="button"
                          class="button small"
                          disabled={acting === u.id}
                          onClick={() => void act(u, 'link')}
                        >
                          New sign-in link<span class="sr-only"> for {u.name}</span>
                        </button>
                        <button
                          type="button"
                          class="button small"
                          disabled={acting === u.id}
                          onClick={() => setConfirming({ user: u, action: 'disable' })}
                        >
                          Disable<span class="sr-only"> {u.name}</span>
                        </button>
                      </>
                    )}
                    <button
                      type="button"
                      class="button small danger-outline"
                      disabled={acting === u.id}
                      onClick={() => setConfirming({ user: u, action: 'delete' })}
                    >
                      Delete<span class="sr-only"> {u.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title={`${confirming.action === 'delete' ? 'Delete' : 'Disable'} ${confirming.user.name}?`}
          confirmLabel={confirming.action === 'delete' ? 'Delete person' : 'Disable person'}
          danger
          onCancel={() => setConfirming(undefined)}
          onConfirm={() => void act(confirming.user, confirming.action)}
        >
          <p>
            Their open sessions, API tokens and workspace tokens stop working at once.
            {confirming.action === 'delete'
              ? ' This cannot be undone; their workspaces must be deleted first.'
              : ' Enable them later and send a new sign-in link.'}
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
