// The workspace terminal: xterm.js wired straight to the hosting node's WebSocket with a short-lived token.
import type { FitAddon } from '@xterm/addon-fit';
import type { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must, type Workspace } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { describe } from '../problem.ts';

/** The node closed the socket because its token expired or was revoked (SOCKET_CLOSE_TOKEN_ENDED). */
const TOKEN_ENDED = 4401;

type Phase = 'idle' | 'connecting' | 'open' | 'closed';

/** ws(s)://node/w/{id}/_terminal?token=… from the node's http(s) address. */
export function terminalUrl(nodeUrl: string, workspaceId: string, token: string): string {
  const u = new URL(`${nodeUrl.replace(/\/$/, '')}/w/${encodeURIComponent(workspaceId)}/_terminal`);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.searchParams.set('token', token);
  return u.toString();
}

export function TerminalPanel({ workspace: w }: { workspace: Workspace }) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<{ term: Terminal; fit: FitAddon } | undefined>(undefined);
  const socket = useRef<WebSocket | undefined>(undefined);
  const [phase, setPhase] = useState<Phase>('idle');
  const [error, setError] = useState<string>();
  // A workspace in error keeps a shell for looking into why; a degraded one runs (its agent failed).
  const running = w.status === 'running' || w.status === 'degraded' || w.status === 'error';

  const connect = async () => {
    setError(undefined);
    setPhase('connecting');
    try {
      // xterm.js is loaded only when a terminal opens, so the list pages stay small.
      if (!term.current && host.current) {
        const [{ Terminal }, { FitAddon }] = await Promise.all([
          import('@xterm/xterm'),
          import('@xterm/addon-fit'),
        ]);
        const t = new Terminal({
          cursorBlink: true,
          fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
          fontSize: 13,
          theme: { background: '#16181d', foreground: '#e6e6e3', cursor: '#9fd8c4' },
        });
        const fit = new FitAddon();
        t.loadAddon(fit);
        t.open(host.current);
        fit.fit();
        t.onData((d) => socket.current?.readyState === WebSocket.OPEN && socket.current.send(d));
        t.onResize(({ cols, rows }) => {
          if (socket.current?.readyState === WebSocket.OPEN)
            socket.current.send(JSON.stringify({ type: 'resize', cols, rows }));
        });
        term.current = { term: t, fit };
      }
      const minted = await must(
        api.POST('/api/v1/workspaces/{id}/tokens', {
          params: { path: { id: w.id } },
          body: { scopes: ['terminal'] },
        }),
      );
      if (!minted.nodeUrl) throw new Error('This workspace is not on a node yet, so it has no terminal.');
      const ws = new WebSocket(terminalUrl(minted.nodeUrl, w.id, minted.token));
      ws.binaryType = 'arraybuffer';
      socket.current = ws;
      ws.onopen = () => {
        setPhase('open');
        const t = term.current;
        if (!t) return;
        t.fit.fit();
        ws.send(JSON.stringify({ type: 'resize', cols: t.term.cols, rows: t.term.rows }));
        t.term.focus();
      };
      ws.onmessage = (m) => {
        const t = term.current?.term;
        if (!t) return;
        t.write(typeof m.data === 'string' ? m.data : new Uint8Array(m.data as ArrayBuffer));
      };
      let opened = false;
      ws.addEventListener('open', () => {
        opened = true;
      });
      ws.onclose = (ev) => {
        if (socket.current !== ws) return;
        setPhase('closed');
        if (!opened)
          setError(
            'Could not open a terminal on the node that hosts this workspace. Check that the node is online (Nodes page), then reconnect.',
          );
        else if (ev.code === TOKEN_ENDED)
          setError(
            ev.reason === 'token expired'
              ? 'The terminal’s access token expired, so the node ended the shell. Reconnect to open a new one.'
              : 'Your access to this terminal was revoked, so the node ended the shell.',
          );
        else if (ev.code !== 1000 && ev.code !== 1005)
          setError(
            `The terminal closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''}). Reconnect to open a new shell.`,
          );
      };
    } catch (e) {
      setPhase('closed');
      setError(describe(e));
    }
  };

  // Connect by itself once the workspace runs; close the socket when leaving the page.
  useEffect(() => {
    if (running && phase === 'idle') void connect();
  }, [running]);
  useEffect(() => {
    const onResize = () => term.current?.fit.fit();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      const ws = socket.current;
      socket.current = undefined;
      ws?.close(1000);
      term.current?.term.dispose();
    };
  }, []);

  return (
    <section class="card terminal-card" aria-labelledby="terminal-title">
      <div class="card-head">
        <h2 id="terminal-title">Terminal</h2>
        <span class="muted small" aria-live="polite">
          {phase === 'open'
            ? 'Connected to the node'
            : phase === 'connecting'
              ? 'Connecting…'
              : phase === 'closed'
                ? 'Disconnected'
                : running
                  ? ''
                  : 'Available while the workspace runs'}
        </span>
        {phase === 'closed' && running ? (
          <button type="button" class="button small" onClick={() => void connect()}>
            Reconnect
          </button>
        ) : null}
      </div>
      <ErrorNotice message={error} />
      <div class="terminal">
        {phase === 'idle' ? (
          <p class="terminal-hint">
            {running ? 'Opening a shell…' : 'Start the workspace to open a shell here.'}
          </p>
        ) : null}
        {/* xterm.js owns this element's children; Preact never renders into it. */}
        <div ref={host} class="terminal-host" hidden={phase === 'idle'} />
      </div>
    </section>
  );
}
