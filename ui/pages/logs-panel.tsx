// A workspace's Logs: the last lines of its app and agent output, then a live tail, over the hosting node's
// `/w/{id}/_logs` WebSocket with a short-lived `logs` token. Shown in every state: that is how one learns why it failed.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LogLine } from '../../contract/index.ts';
import type { Workspace } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { mintNodeAccess, nodeSocketUrl, useNodeSocket } from '../node-socket.ts';
import { describe } from '../problem.ts';

/** Lines kept on the page; older ones scroll away (the node keeps more: `GET /w/{id}/_logs?tail=N`). */
const KEEP = 1000;
/** Lines of the past asked for when the tail opens. */
const TAIL = 300;

type Phase = 'idle' | 'connecting' | 'open' | 'closed';

export function LogsPanel({ workspace: w }: { workspace: Workspace }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [phase, setPhase] = useState<Phase>('idle');
  const [error, setError] = useState<string>();
  const socket = useNodeSocket();
  const box = useRef<HTMLOListElement>(null);
  const stick = useRef(true);

  const connect = async () => {
    setError(undefined);
    setPhase('connecting');
    try {
      const minted = await mintNodeAccess(
        w.id,
        'logs',
        'This workspace is not on a node yet, so it has no logs.',
      );
      socket.current?.close(1000);
      setLines([]);
      const ws = new WebSocket(
        nodeSocketUrl(minted.nodeUrl, w.id, '_logs', minted.token, { tail: String(TAIL) }),
      );
      socket.current = ws;
      ws.onopen = () => setPhase('open');
      ws.onmessage = (m) => {
        try {
          const line = JSON.parse(String(m.data)) as LogLine;
          setLines((old) => [...old, line].slice(-KEEP));
        } catch {
          // A frame that is not a line is skipped.
        }
      };
      ws.onclose = (ev) => {
        if (socket.current !== ws) return;
        setPhase('closed');
        if (ev.code !== 1000 && ev.code !== 1005)
          setError(
            ev.code === 4401
              ? 'The logs token expired, so the node ended the live tail. Reconnect to follow again.'
              : 'The live tail ended. Check that the node is online (Nodes page), then reconnect.',
          );
      };
    } catch (e) {
      setPhase('closed');
      setError(describe(e));
    }
  };

  const placed = w.nodeId !== null;
  useEffect(() => {
    if (placed && phase === 'idle') void connect();
  }, [placed]);
  // Follow the newest line unless the reader scrolled up to read.
  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <section class="card" aria-labelledby="logs-title">
      <div class="card-head">
        <h2 id="logs-title">Logs</h2>
        <span class="muted small" aria-live="polite">
          {phase === 'open'
            ? 'Live'
            : phase === 'connecting'
              ? 'Connecting…'
              : phase === 'closed'
                ? 'Disconnected'
                : ''}
        </span>
        {phase === 'closed' && placed ? (
          <button type="button" class="button small" onClick={() => void connect()}>
            Reconnect
          </button>
        ) : null}
      </div>
      <ErrorNotice message={error} />
      {lines.length === 0 ? (
        <p class="muted">
          {placed
            ? 'Nothing printed yet: the app’s and the agent’s output shows here as it comes.'
            : 'Logs show once the workspace is on a node.'}
        </p>
      ) : null}
      <ol
        ref={box}
        class="log-lines"
        aria-label="Output, oldest first"
        hidden={lines.length === 0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
        }}
      >
        {lines.map((l, i) => (
          <li key={i} class={`log-line ${l.stream}`} data-source={l.source} data-stream={l.stream}>
            <span class="log-tag">
              {l.source} {l.stream === 'stderr' ? 'err' : 'out'}
            </span>
            <span class="log-text">{l.text}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
