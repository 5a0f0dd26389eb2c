// The workspace terminals: tabs of xterm.js, each attached to a session on the hosting node that survives reloads.
import type { FitAddon } from '@xterm/addon-fit';
import type { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Workspace } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { mintNodeAccess } from '../node-socket.ts';
import { TerminalConnection, type TerminalState } from './terminal-connection.ts';

export { terminalUrl } from './terminal-connection.ts';

/** A tab: a stable key for rendering and the session it shows (unknown until the node names it). */
interface Tab {
  key: string;
  session?: string;
}

interface Saved {
  tabs: Tab[];
  active: string;
}

/**
 * Where a browser tab remembers its terminals: sessionStorage, per workspace. It survives a reload (the reason it
 * exists) and stays with this browser tab, so two windows on one workspace keep their own shells.
 */
const storageKey = (workspaceId: string) => `warren.terminals.${workspaceId}`;

function load(workspaceId: string): Saved {
  try {
    const raw = sessionStorage.getItem(storageKey(workspaceId));
    const s = raw ? (JSON.parse(raw) as Saved) : undefined;
    if (s && Array.isArray(s.tabs) && s.tabs.length > 0) return s;
  } catch {}
  const key = newKey();
  return { tabs: [{ key }], active: key };
}

function save(workspaceId: string, s: Saved): void {
  try {
    sessionStorage.setItem(storageKey(workspaceId), JSON.stringify(s));
  } catch {}
}

const newKey = () => Math.random().toString(36).slice(2, 10);

export function TerminalPanel({ workspace: w }: { workspace: Workspace }) {
  const [saved, setSaved] = useState<Saved>(() => load(w.id));
  // A workspace in error keeps a shell for looking into why; a degraded one runs (its agent failed).
  const running = w.status === 'running' || w.status === 'degraded' || w.status === 'error';
  const update = (next: Saved) => {
    save(w.id, next);
    setSaved(next);
  };
  const links = useRef(new Map<string, TerminalConnection>());
  const activeIndex = Math.max(
    0,
    saved.tabs.findIndex((t) => t.key === saved.active),
  );
  const latest = useRef(saved);
  latest.current = saved;

  const addTab = () => {
    const key = newKey();
    update({ tabs: [...saved.tabs, { key }], active: key });
  };
  const closeTab = (key: string) => {
    // Closing a tab ends its shell on the node; the tab's unmount alone would leave it for the grace period.
    links.current.get(key)?.dispose(true);
    const tabs = saved.tabs.filter((t) => t.key !== key);
    if (tabs.length === 0) {
      const fresh = newKey();
      update({ tabs: [{ key: fresh }], active: fresh });
      return;
    }
    update({ tabs, active: saved.active === key ? tabs[tabs.length - 1]!.key : saved.active });
  };
  const sessionOf = (key: string, session: string | undefined) => {
    const cur = latest.current;
    update({ ...cur, tabs: cur.tabs.map((t) => (t.key === key ? { key, session } : t)) });
  };

  return (
    <section class="card terminal-card" aria-labelledby="terminal-title">
      <div class="card-head">
        <h2 id="terminal-title">Terminal</h2>
      </div>
      {running ? (
        <>
          <div class="terminal-tabs">
            <div role="tablist" aria-label="Terminals" class="terminal-tablist">
              {saved.tabs.map((t, i) => (
                <button
                  key={t.key}
                  type="button"
                  role="tab"
                  class="terminal-tab"
                  id={`terminal-tab-${t.key}`}
                  aria-selected={t.key === saved.active}
                  aria-controls={`terminal-pane-${t.key}`}
                  onClick={() => update({ ...saved, active: t.key })}
                >
                  Shell {i + 1}
                </button>
              ))}
            </div>
            <button type="button" class="button small" aria-label="New terminal" onClick={addTab}>
              +
            </button>
            <button
              type="button"
              class="button small"
              aria-label={`Close Shell ${activeIndex + 1}`}
              title="Close this shell"
              onClick={() => closeTab(saved.active)}
            >
              ×
            </button>
          </div>
          {saved.tabs.map((t) => (
            <TerminalTab
              key={t.key}
              tabKey={t.key}
              workspace={w}
              session={t.session}
              active={t.key === saved.active}
              onSession={(s) => sessionOf(t.key, s)}
              onLink={(link) => {
                if (link) links.current.set(t.key, link);
                else links.current.delete(t.key);
              }}
            />
          ))}
        </>
      ) : (
        <div class="terminal">
          <p class="terminal-hint">Start the workspace to open a shell here.</p>
        </div>
      )}
    </section>
  );
}

const STATE_TEXT: Record<TerminalState, string> = {
  connecting: 'Connecting…',
  open: 'Connected to the node',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

/** One tab: its own xterm and its own session; hidden while another tab is shown, but still attached. */
function TerminalTab(props: {
  tabKey: string;
  workspace: Workspace;
  session: string | undefined;
  active: boolean;
  onSession(id: string | undefined): void;
  /** Hands the panel this tab's link, so closing the tab can end its shell. */
  onLink(link: TerminalConnection | undefined): void;
}) {
  const { workspace: w, active } = props;
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<{ term: Terminal; fit: FitAddon; link: TerminalConnection } | undefined>(undefined);
  const [state, setState] = useState<TerminalState>('connecting');
  const [error, setError] = useState<string>();
  const onSession = useRef(props.onSession);
  onSession.current = props.onSession;

  useEffect(() => {
    let cancelled = false;
    (async () => {
      // xterm.js is loaded only when a terminal opens, so the list pages stay small.
      const [{ Terminal }, { FitAddon }] = await Promise.all([
        import('@xterm/xterm'),
        import('@xterm/addon-fit'),
      ]);
      if (cancelled || !host.current) return;
      const term = new Terminal({
        cursorBlink: true,
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
        fontSize: 13,
        // As many lines as the node keeps for a reattach (1 MiB ≈ 10,000 lines): a reload can scroll back as far.
        scrollback: 10_000,
        theme: { background: '#16181d', foreground: '#e6e6e3', cursor: '#9fd8c4' },
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(host.current);
      fit.fit();
      const link = new TerminalConnection({
        workspaceId: w.id,
        sessionId: props.session,
        term,
        mint: () =>
          mintNodeAccess(w.id, 'terminal', 'This workspace is not on a node yet, so it has no terminal.'),
        onState(s, e) {
          setState(s);
          setError(e);
          if (s === 'open' && !host.current?.hidden) term.focus();
        },
        onSession: (id) => onSession.current(id),
      });
      view.current = { term, fit, link };
      props.onLink(link);
      void link.connect();
    })();
    const onResize = () => view.current?.fit.fit();
    window.addEventListener('resize', onResize);
    return () => {
      cancelled = true;
      window.removeEventListener('resize', onResize);
      // Leaving the page keeps the session on the node for the next visit (closing the tab ended it already).
      view.current?.link.dispose(false);
      props.onLink(undefined);
      view.current?.term.dispose();
      view.current = undefined;
    };
  }, []);

  // A tab shown again fits its (possibly resized) window and takes the keyboard.
  useEffect(() => {
    const v = view.current;
    if (!active || !v) return;
    v.fit.fit();
    // Drawn while hidden (display: none), the rows were never laid out: paint them all now.
    v.term.refresh(0, v.term.rows - 1);
    v.term.focus();
  }, [active]);

  return (
    <div
      id={`terminal-pane-${props.tabKey}`}
      role="tabpanel"
      aria-labelledby={`terminal-tab-${props.tabKey}`}
      hidden={!active}
      data-terminal-state={state}
    >
      <div class="terminal-status">
        <span class="muted small" aria-live="polite">
          {STATE_TEXT[state]}
        </span>
        {state === 'closed' ? (
          <button type="button" class="button small" onClick={() => view.current?.link.restart()}>
            New shell
          </button>
        ) : null}
      </div>
      <ErrorNotice message={error} />
      <div class="terminal">
        {/* xterm.js owns this element's children; Preact never renders into it. */}
        <div ref={host} class="terminal-host" />
      </div>
    </div>
  );
}
