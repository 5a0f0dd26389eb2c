// One workspace: status and actions, editing, its app through the node, the terminal, logs, agent, request path
// and activity.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must, type Workspace } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { WorkspaceBadge } from '../components/status-badge.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { upsertWorkspace, useLive } from '../live.ts';
import { describe } from '../problem.ts';
import { Link, navigate } from '../router.tsx';
import { ActivityPanel } from './activity-panel.tsx';
import { AgentPanel } from './agent-panel.tsx';
import { LogsPanel } from './logs-panel.tsx';
import { RequestPath } from './request-path.tsx';
import { TerminalPanel } from './terminal-panel.tsx';
import { WorkspaceActions } from './workspace-actions.tsx';
import { WorkspaceCreate } from './workspace-create.tsx';

/** What is under way while a workspace is between states, in words. */
const MOVING: Partial<Record<Workspace['status'], string>> = {
  starting: 'The node is preparing the workspace and starting its app…',
  stopping: 'Stopping the workspace’s processes…',
  deleting: 'Removing the workspace from its node…',
};

export function WorkspacePage({ id }: { id: string }) {
  const live = useLive();
  const [error, setError] = useState<string>();
  const [opening, setOpening] = useState(false);
  const [editing, setEditing] = useState(false);
  const [tab, setTab] = useState<'terminal' | 'logs'>('terminal');
  const tabChosen = useRef(false);
  const w: Workspace | undefined = live.workspaces.get(id);

  // A workspace that failed opens on its logs: they say why. Decided once, when it is first known.
  useEffect(() => {
    if (!w || tabChosen.current) return;
    tabChosen.current = true;
    if (w.status === 'error') setTab('logs');
  }, [!!w]);

  // Deep links: the stream's snapshot may not hold it yet (or at all); ask once to tell "gone" from "loading".
  useEffect(() => {
    if (w || !live.loaded) return;
    must(api.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).then(upsertWorkspace, (e) =>
      setError(describe(e)),
    );
  }, [id, live.loaded, !!w]);

  if (!w) {
    return (
      <div class="page">
        <p>
          <Link href="/workspaces">← Workspaces</Link>
        </p>
        {error ? (
          <>
            <h1 tabIndex={-1}>Workspace not found</h1>
            <ErrorNotice message={error} />
          </>
        ) : (
          <div class="loading" aria-busy="true">
            <span class="spinner" aria-hidden="true" /> Loading workspace…
          </div>
        )}
      </div>
    );
  }

  const node = w.nodeId ? live.nodes.get(w.nodeId) : undefined;
  const openApp = async () => {
    setError(undefined);
    setOpening(true);
    // Open the tab now, while the click still counts as the user's, and point it at the app once the token is here.
    const tab = window.open('', '_blank');
    try {
      const minted = await must(
        api.POST('/api/v1/workspaces/{id}/tokens', {
          params: { path: { id: w.id } },
          body: { scopes: ['http'] },
        }),
      );
      if (!minted.nodeUrl) throw new Error('This workspace is not on a node yet.');
      // The app's own origin (ws-{id}.<base domain>): its cookie is set there and no other workspace's page
      // shares that origin, so none can read this app with the cookie.
      if (!minted.appUrl)
        throw new Error(
          'Its node has no app domain a browser can reach: start the node with --base-domain (see the README).',
        );
      const url = `${minted.appUrl}/_auth?token=${encodeURIComponent(minted.token)}`;
      if (tab) {
        tab.opener = null;
        tab.location.href = url;
      } else location.assign(url);
    } catch (e) {
      tab?.close();
      setError(describe(e));
    } finally {
      setOpening(false);
    }
  };

  return (
    <div class="page">
      <p class="crumbs">
        <Link href="/workspaces">← Workspaces</Link>
      </p>
      <div class="page-head">
        <div>
          <h1 tabIndex={-1}>{w.name}</h1>
          <div class="row-meta">
            <span>{node ? `on ${node.name}` : w.nodeId ? 'on a node' : 'not placed yet'}</span>
            <span aria-hidden="true">·</span>
            <span>
              updated <TimeAgo iso={w.updatedAt} />
            </span>
          </div>
        </div>
        <div class="head-status" aria-live="polite">
          <WorkspaceBadge status={w.status} />
        </div>
      </div>
      {MOVING[w.status] ? (
        <div class="stack" aria-live="polite">
          <div class="progress" aria-hidden="true" />
          <span class="muted small">{MOVING[w.status]}</span>
        </div>
      ) : null}
      {w.statusReason ? <StatusReason reason={w.statusReason} /> : null}
      <div class="toolbar">
        {w.appCommand ? (
          <button
            type="button"
            class="button primary"
            disabled={(w.status !== 'running' && w.status !== 'degraded') || opening}
            onClick={() => void openApp()}
          >
            {opening ? 'Opening…' : 'Open app'}
          </button>
        ) : null}
        <button
          type="button"
          class="button"
          aria-expanded={editing}
          disabled={w.desiredState === 'deleted'}
          onClick={() => setEditing((e) => !e)}
        >
          Edit
        </button>
        <WorkspaceActions workspace={w} onDeleted={() => navigate('/workspaces')} />
      </div>
      {editing ? (
        <WorkspaceCreate
          key={`edit-${w.id}`}
          nodes={[]}
          editing={w}
          onCreated={() => setEditing(false)}
          onCancel={() => setEditing(false)}
        />
      ) : null}
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
      {w.status === 'pending' ? (
        <div class="notice hint">
          Waiting for a node with room. {live.nodes.size === 0 ? 'No node has joined yet: ' : ''}
          {live.nodes.size === 0 ? <Link href="/settings">create a join token</Link> : null}
        </div>
      ) : null}
      <dl class="facts">
        <div>
          <dt>App command</dt>
          <dd class="mono">{w.appCommand ?? 'none (shell only)'}</dd>
        </div>
        <div>
          <dt>App address</dt>
          <dd class="mono">{w.url ?? 'known once placed on a node'}</dd>
        </div>
        <div>
          <dt>Agent command</dt>
          <dd class="mono">{w.agentCommand ?? 'none'}</dd>
        </div>
        <div>
          <dt>Wants to be</dt>
          <dd>{w.desiredState}</dd>
        </div>
      </dl>
      <div class="tabs" role="tablist" aria-label="Terminal and logs">
        {(['terminal', 'logs'] as const).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            class="tab"
            aria-selected={tab === t}
            aria-controls={`panel-${t}`}
            onClick={() => {
              setTab(t);
              // The terminal sizes itself to its box on a resize; a box that was hidden has a new size.
              if (t === 'terminal') requestAnimationFrame(() => window.dispatchEvent(new Event('resize')));
            }}
          >
            {t === 'terminal' ? 'Terminal' : 'Logs'}
          </button>
        ))}
      </div>
      {/* Both stay mounted, so switching keeps the shell and the live tail connected. */}
      <div role="tabpanel" id="panel-terminal" aria-labelledby="tab-terminal" hidden={tab !== 'terminal'}>
        <TerminalPanel key={w.id} workspace={w} />
      </div>
      <div role="tabpanel" id="panel-logs" aria-labelledby="tab-logs" hidden={tab !== 'logs'}>
        <LogsPanel key={`logs-${w.id}`} workspace={w} />
      </div>
      {w.agentCommand ? (
        <AgentPanel key={`agent-${w.id}`} workspace={w} />
      ) : (
        <section class="card" aria-labelledby="agent-title">
          <h2 id="agent-title">Agent</h2>
          <p class="muted">
            This workspace runs no agent. Create a workspace with an agent command to chat with an agent and
            hand it tasks.
          </p>
        </section>
      )}
      <div class="grid-2">
        <RequestPath workspace={w} node={node} />
        <ActivityPanel key={`activity-${w.id}`} workspace={w} />
      </div>
    </div>
  );
}

/** Why the workspace is where it is: the first line in words, the output it quoted (its last lines) below. */
function StatusReason({ reason }: { reason: string }) {
  const cut = reason.indexOf('\n');
  const head = cut < 0 ? reason : reason.slice(0, cut);
  const output = cut < 0 ? '' : reason.slice(cut + 1);
  return (
    <div class="status-reason-wrap">
      <p class="status-reason">{head}</p>
      {output ? (
        <pre class="status-output" title="Its last lines of output">
          {output}
        </pre>
      ) : null}
    </div>
  );
}
