// People (admin): who can sign in, and adding someone with a one-time sign-in link to hand over.
import { useEffect, useState } from 'preact/hooks';
import { api, must, type User } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { SecretField } from '../components/secret-field.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { describe } from '../problem.ts';

type Created = { user: User; loginLink: string };

export function Users() {
  const [users, setUsers] = useState<User[]>();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Created>();
  const [error, setError] = useState<string>();
  const [approving, setApproving] = useState<string>();

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
          <strong>{created.user.name} added.</strong> Send them this link; it works once.
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
                    ) : (
                      'active'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
