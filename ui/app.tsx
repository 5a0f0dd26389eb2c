// The shell: who is signed in, the header and navigation, the live connection, and which page shows.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, must, type User } from './api.ts';
import { connectLive, disconnectLive, useLive } from './live.ts';
import { NodesPage } from './pages/nodes.tsx';
import { ProjectsPage } from './pages/projects.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { TaskPage } from './pages/task.tsx';
import { TasksPage } from './pages/tasks.tsx';
import { WorkspacePage } from './pages/workspace.tsx';
import { WorkspacesPage } from './pages/workspaces.tsx';
import { describe, Problem } from './problem.ts';
import { Link, navigate, usePath } from './router.tsx';

type Session = { state: 'loading' } | { state: 'signed-out'; reason?: string } | { state: 'in'; user: User };

const NAV = [
  { href: '/workspaces', label: 'Workspaces' },
  { href: '/projects', label: 'Projects' },
  { href: '/nodes', label: 'Nodes' },
  { href: '/tasks', label: 'Tasks' },
  { href: '/settings', label: 'Settings' },
];

export function App() {
  const [session, setSession] = useState<Session>({ state: 'loading' });
  const path = usePath();

  const check = useCallback(async () => {
    try {
      setSession({ state: 'in', user: await must(api.GET('/api/v1/auth/me')) });
    } catch (e) {
      if (e instanceof Problem && e.status === 401) setSession({ state: 'signed-out' });
      else setSession({ state: 'signed-out', reason: describe(e) });
    }
  }, []);

  useEffect(() => {
    void check();
  }, [check]);

  useEffect(() => {
    if (session.state !== 'in') return;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    // The stream closed for good: either the session ended, or the control plane went away (retry, jittered).
    const onClosed = () => {
      void must(api.GET('/api/v1/auth/me')).then(
        () => {
          attempt += 1;
          const delay = Math.min(30_000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
          retry = setTimeout(() => connectLive(onClosed), delay);
        },
        (e) => {
          if (e instanceof Problem && e.status === 401) {
            disconnectLive();
            setSession({ state: 'signed-out', reason: 'Your session has ended. Sign in again to continue.' });
          } else {
            retry = setTimeout(() => connectLive(onClosed), 5000 * (0.5 + Math.random() / 2));
          }
        },
      );
    };
    connectLive(onClosed);
    return () => {
      clearTimeout(retry);
      disconnectLive();
    };
  }, [session.state]);

  if (session.state === 'loading') {
    return (
      <div class="center-screen" aria-busy="true">
        <span class="spinner large" aria-hidden="true" />
        <span class="sr-only">Loading Warren</span>
      </div>
    );
  }
  if (session.state === 'signed-out')
    return (
      <SignInPage
        reason={session.reason}
        onSignedIn={() => {
          if (location.pathname === '/') navigate('/workspaces', true);
          void check();
        }}
      />
    );

  const signOut = async () => {
    try {
      await must(api.POST('/api/v1/auth/logout'));
    } catch {
      // Signed out either way: the cookie is HttpOnly, so the server is the one to forget it.
    }
    disconnectLive();
    setSession({ state: 'signed-out' });
    navigate('/', true);
  };

  return (
    <Shell user={session.user} path={path} onSignOut={signOut}>
      <Page path={path} user={session.user} />
    </Shell>
  );
}

function Page({ path, user }: { path: string; user: User }) {
  const ws = /^\/workspaces\/([^/]+)$/.exec(path);
  if (ws?.[1]) return <WorkspacePage id={decodeURIComponent(ws[1])} />;
  if (path === '/nodes') return <NodesPage user={user} />;
  if (path === '/projects') return <ProjectsPage />;
  const task = /^\/tasks\/([^/]+)$/.exec(path);
  if (task?.[1]) return <TaskPage id={decodeURIComponent(task[1])} />;
  if (path === '/tasks') return <TasksPage />;
  if (path === '/settings') return <SettingsPage user={user} />;
  return <WorkspacesPage />;
}

function Shell({
  user,
  path,
  onSignOut,
  children,
}: {
  user: User;
  path: string;
  onSignOut: () => void;
  children: preact.ComponentChildren;
}) {
  const live = useLive();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After navigating, move focus to the new page's heading so keyboard and screen-reader users land there.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [path]);
  const current = (href: string) =>
    path === href || path.startsWith(`${href}/`) || (href === '/workspaces' && path === '/');
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="top-inner">
          <Link href="/workspaces" class="brand" aria-label="Warren, workspaces">
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
              <path d="M3 20c0-5 4-9 9-9s9 4 9 9" fill="none" stroke="currentColor" stroke-width="2" />
              <path d="M8 20c0-2.2 1.8-4 4-4s4 1.8 4 4" fill="none" stroke="currentColor" stroke-width="2" />
              <circle cx="12" cy="6" r="2" fill="currentColor" />
            </svg>
            Warren
          </Link>
          <nav aria-label="Main" class="nav">
            {NAV.map((n) => (
              <Link key={n.href} href={n.href} aria-current={current(n.href) ? 'page' : undefined}>
                {n.label}
              </Link>
            ))}
          </nav>
          <div class="account">
            <span class={`live-dot ${live.connection}`} title={liveWords(live.connection)}>
              <span class="sr-only">{liveWords(live.connection)}</span>
            </span>
            <span class="who" title={user.email ?? user.name}>
              {user.name}
            </span>
            <button type="button" class="button small" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function liveWords(c: string): string {
  if (c === 'live') return 'Live updates on';
  if (c === 'connecting') return 'Connecting for live updates';
  return 'Live updates interrupted; reconnecting';
}
