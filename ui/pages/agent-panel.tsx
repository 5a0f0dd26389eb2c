// The agent chat of a workspace: prompts and follow-ups, the agent's streamed replies, cancel, and resume
// after a reconnect, over the hosting node's `/w/{id}/_agent` WebSocket with a short-lived agent token.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { AgentServerMessage } from '../../contract/index.ts';
import {
  applyAgentEvent,
  busy,
  emptyTranscript,
  type Transcript,
  waitingPermissions,
} from '../agent-transcript.ts';
import type { Workspace } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { PermissionRequest } from '../components/permission-request.tsx';
import { mintNodeAccess, nodeSocketUrl, useNodeSocket } from '../node-socket.ts';
import { describe } from '../problem.ts';

type Phase = 'idle' | 'connecting' | 'open' | 'closed' | 'no-agent' | 'unreachable';

/** Close code the node uses when the workspace runs no agent. */
const NO_AGENT = 4404;
/** Close code the node uses when the workspace's agent session was replaced by a new one. */
const SESSION_RESTARTED = 1012;
/** The node closed the socket because its token expired or was revoked (SOCKET_CLOSE_TOKEN_ENDED). */
const TOKEN_ENDED = 4401;

/** ws(s)://node/w/{id}/_agent?token=… from the node's http(s) address. */
export function agentUrl(nodeUrl: string, workspaceId: string, token: string): string {
  return nodeSocketUrl(nodeUrl, workspaceId, '_agent', token);
}

const AGENT_WORDS: Record<string, string> = {
  starting: 'Agent starting…',
  ready: 'Agent ready',
  restarting: 'Agent restarting…',
  failed: 'Agent failed',
  stopped: 'Agent stopped',
  unknown: '',
};

export function AgentPanel({ workspace: w }: { workspace: Workspace }) {
  const [transcript, setTranscript] = useState<Transcript>(emptyTranscript);
  const seen = useRef(0);
  const socket = useNodeSocket();
  const [phase, setPhase] = useState<Phase>('idle');
  const [error, setError] = useState<string>();
  const [draft, setDraft] = useState('');
  const log = useRef<HTMLDivElement>(null);
  // A degraded workspace runs with a failed agent: a new prompt starts it again.
  const running = w.status === 'running' || w.status === 'degraded';

  const connect = async () => {
    setError(undefined);
    setPhase('connecting');
    try {
      const minted = await mintNodeAccess(w.id, 'agent', 'This workspace is not on a node yet.');
      const ws = new WebSocket(agentUrl(minted.nodeUrl, w.id, minted.token));
      socket.current = ws;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        setPhase('open');
      };
      ws.onmessage = (m) => {
        let msg: AgentServerMessage;
        try {
          msg = JSON.parse(String(m.data)) as AgentServerMessage;
        } catch {
          return;
        }
        if (msg.type === 'hello') {
          // Replay what this page has not seen yet (everything on first open), then follow live.
          ws.send(JSON.stringify({ type: 'resume', afterSeq: seen.current }));
        } else if (msg.type === 'event') {
          seen.current = Math.max(seen.current, msg.seq);
          setTranscript((t) => applyAgentEvent(t, msg));
        } else if (msg.type === 'error') {
          setError(`The agent refused that: ${msg.message}`);
        }
      };
      ws.onclose = (ev) => {
        if (socket.current !== ws) return;
        if (ev.code === NO_AGENT) {
          setPhase('no-agent');
          return;
        }
        if (!opened) {
          setPhase('unreachable');
          return;
        }
        // The node restarted the agent session (1012): reconnect at once and resume from the last event seen.
        if (ev.code === SESSION_RESTARTED) {
          void connect();
          return;
        }
        // An expired token: connecting again mints a fresh one and resumes. A revoked one is the owner's word.
        if (ev.code === TOKEN_ENDED && ev.reason === 'token expired') {
          void connect();
          return;
        }
        if (ev.code === TOKEN_ENDED) {
          setPhase('closed');
          setError('Your access to this agent was revoked. Reconnect if you still have access.');
          return;
        }
        setPhase('closed');
        setError('The agent connection closed. Reconnect to pick up where the chat left off.');
      };
    } catch (e) {
      setPhase('closed');
      setError(describe(e));
    }
  };

  useEffect(() => {
    if (running && phase === 'idle') void connect();
  }, [running]);
  // Keep the newest reply in view as it streams.
  useEffect(() => {
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [transcript]);

  const send = (e?: Event) => {
    e?.preventDefault();
    const text = draft.trim();
    if (!text || socket.current?.readyState !== WebSocket.OPEN) return;
    socket.current.send(JSON.stringify({ type: 'prompt', text }));
    setDraft('');
  };
  const cancel = () => socket.current?.send(JSON.stringify({ type: 'cancel' }));
  const answer = (requestId: string, optionId: string) =>
    socket.current?.send(JSON.stringify({ type: 'permission', requestId, optionId }));
  const working = busy(transcript);
  const asking = waitingPermissions(transcript);

  return (
    <section class="card agent" aria-labelledby="agent-title">
      <div class="card-head">
        <h2 id="agent-title">Agent</h2>
        <span class="muted small" aria-live="polite">
          {phase === 'open'
            ? AGENT_WORDS[transcript.agent.state]
            : phase === 'connecting'
              ? 'Connecting…'
              : ''}
        </span>
        {(phase === 'closed' || phase === 'unreachable') && running ? (
          <button type="button" class="button small" onClick={() => void connect()}>
            Reconnect
          </button>
        ) : null}
      </div>
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
      {!running ? (
        <p class="muted">Start the workspace to talk to its agent.</p>
      ) : phase === 'no-agent' ? (
        <p class="muted">This workspace runs no agent, so there is nobody to chat with here.</p>
      ) : phase === 'unreachable' ? (
        <p class="muted">
          No agent answered on this workspace’s node. Agent chat needs a node that runs Warren’s agent bridge
          and a workspace with an agent; the terminal above works either way.
        </p>
      ) : (
        <>
          <div class="chat" ref={log} role="log" aria-label="Agent conversation">
            <ol class="chat-list">
              {transcript.turns.length === 0 ? (
                <li class="muted small chat-empty">Ask the agent to do something in this workspace.</li>
              ) : null}
              {transcript.turns.map((t) => (
                <li key={t.promptId} class="turn">
                  <div class="bubble you">
                    <span class="sr-only">You: </span>
                    {t.prompt}
                  </div>
                  {t.tools.length > 0 ? (
                    <ul class="tools" aria-label="Tool calls">
                      {t.tools.map((c) => (
                        <li key={c.id} class={`tag tool-${c.status}`}>
                          {c.title} · {c.status}
                        </li>
                      ))}
                    </ul>
                  ) : null}
                  {t.reply || t.phase === 'running' ? (
                    <div class="bubble agent-reply">
                      <span class="sr-only">Agent: </span>
                      {t.reply}
                      {t.phase === 'running' ? <span class="caret" aria-hidden="true" /> : null}
                    </div>
                  ) : null}
                  <div class="turn-meta small">
                    {t.phase === 'queued'
                      ? 'Queued: sent when the current turn ends'
                      : t.phase === 'running'
                        ? 'Working…'
                        : t.phase === 'failed'
                          ? `Failed: ${t.error?.message ?? t.error?.code}`
                          : t.stopReason && t.stopReason !== 'end_turn'
                            ? `Ended: ${t.stopReason.replace(/_/g, ' ')}`
                            : ''}
                  </div>
                </li>
              ))}
            </ol>
          </div>
          {asking.length > 0 ? (
            <div class="attention" aria-live="polite">
              {asking.map((r) => (
                <PermissionRequest
                  key={r.requestId}
                  toolCall={r.toolCall}
                  options={r.options}
                  busy={phase !== 'open'}
                  onAnswer={(optionId) => answer(r.requestId, optionId)}
                />
              ))}
            </div>
          ) : null}
          <form class="chat-form" onSubmit={send}>
            <label for="agent-prompt" class="sr-only">
              Message to the agent
            </label>
            <textarea
              id="agent-prompt"
              rows={2}
              placeholder={working ? 'Add a follow-up (sent when this turn ends)…' : 'Ask the agent…'}
              value={draft}
              disabled={phase !== 'open'}
              onInput={(e) => setDraft(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) send(e);
              }}
            />
            <div class="chat-actions">
              {working ? (
                <button type="button" class="button" onClick={cancel}>
                  Cancel turn
                </button>
              ) : null}
              <button type="submit" class="button primary" disabled={phase !== 'open' || !draft.trim()}>
                Send
              </button>
            </div>
          </form>
        </>
      )}
    </section>
  );
}
