// One task: its state and outcome; its workspace, agent state, branch and pull request; follow-up messages (which
// continue an ended task on the same branch), cancel, and the way to its workspace's live agent chat.
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Task, type TaskMessage } from '../api.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { ErrorNotice } from '../components/notice.tsx';
import { PermissionPanel } from '../components/permission-panel.tsx';
import { TaskBadge } from '../components/status-badge.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { upsertTask, useLive } from '../live.ts';
import { describe } from '../problem.ts';
import { Link } from '../router.tsx';

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** How an agent state reads. */
const AGENT_WORDS: Record<string, string> = {
  starting: 'starting',
  ready: 'ready',
  restarting: 'restarting',
  failed: 'failed',
  stopped: 'stopped',
};

export function TaskPage({ id }: { id: string }) {
  const live = useLive();
  const [messages, setMessages] = useState<TaskMessage[]>([]);
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const [gone, setGone] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const path = { path: { id } };
  // The task's state comes from the live stream; an older task not in it is asked for once.
  const task: Task | undefined = live.tasks.get(id);

  useEffect(() => {
    must(api.GET('/api/v1/tasks/{id}/messages', { params: path })).then(
      (m) => setMessages(m.items),
      () => {},
    );
  }, [id]);
  useEffect(() => {
    if (task || !live.loaded) return;
    must(api.GET('/api/v1/tasks/{id}', { params: path })).then(upsertTask, (e) => {
      setGone(true);
      setError(describe(e));
    });
  }, [id, live.loaded, !!task]);

  const send = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const m = await must(
        api.POST('/api/v1/tasks/{id}/messages', { params: path, body: { text: text.trim() } }),
      );
      setMessages((ms) => [...ms, m]);
      setText('');
    } catch (err) {
      setError(describe(err));
    }
  };
  const cancel = async () => {
    setConfirming(false);
    setError(undefined);
    try {
      upsertTask(await must(api.POST('/api/v1/tasks/{id}/cancel', { params: path })));
    } catch (err) {
      setError(describe(err));
    }
  };

  if (!task) {
    return (
      <div class="page">
        <p class="crumbs">
          <Link href="/tasks">← Tasks</Link>
        </p>
        {gone ? <h1 tabIndex={-1}>Task not found</h1> : null}
        {error ? (
          <ErrorNotice message={error} />
        ) : (
          <p class="loading">
            <span class="spinner" aria-hidden="true" /> Loading task…
          </p>
        )}
      </div>
    );
  }
  const ended = ENDED.has(task.status);
  // A completed or failed task that ran takes a follow-up: it continues in its workspace, on its branch.
  const takesFollowUp = task.status !== 'cancelled' && (!ended || task.agentSessionId !== null);
  const ws = task.workspaceId ? live.workspaces.get(task.workspaceId) : undefined;
  return (
    <div class="page">
      <p class="crumbs">
        <Link href="/tasks">← Tasks</Link>
      </p>
      <div class="page-head">
        <div>
          <h1 tabIndex={-1}>Task</h1>
          <div class="row-meta">
            <span>
              submitted <TimeAgo iso={task.createdAt} />
            </span>
            {task.endedAt ? (
              <>
                <span aria-hidden="true">·</span>
                <span>
                  ended <TimeAgo iso={task.endedAt} />
                </span>
              </>
            ) : null}
          </div>
        </div>
        <div class="head-status" aria-live="polite">
          <TaskBadge status={task.status} />
        </div>
      </div>
      <PermissionPanel taskId={task.id} status={task.status} />
      <section class="card" aria-label="Prompt">
        <p class="prompt">{task.prompt}</p>
        {task.summary ? (
          <>
            <h2>Summary</h2>
            <p class="prompt">{task.summary}</p>
          </>
        ) : null}
        {task.outcome?.error ? (
          <p class="status-reason">
            {task.outcome.error.message} ({task.outcome.error.code})
          </p>
        ) : task.outcome?.stopReason && task.outcome.stopReason !== 'end_turn' ? (
          <p class="muted">Ended: {task.outcome.stopReason.replace(/_/g, ' ')}</p>
        ) : null}
        <div class="toolbar">
          {task.workspaceId ? (
            <Link href={`/workspaces/${task.workspaceId}`} class="button primary">
              Follow the agent live
            </Link>
          ) : (
            <span class="muted small toolbar-note">Waiting for a workspace…</span>
          )}
          {!ended ? (
            <button type="button" class="button danger-outline" onClick={() => setConfirming(true)}>
              Cancel task
            </button>
          ) : null}
        </div>
      </section>
      <dl class="facts" aria-label="Where the task works">
        <div>
          <dt>Workspace</dt>
          <dd data-fact="workspace">
            {task.workspaceId ? (
              <Link href={`/workspaces/${task.workspaceId}`}>{ws?.name ?? task.workspaceId}</Link>
            ) : (
              'none yet'
            )}
          </dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd data-fact="agent">
            {ws ? (ws.agentState ? AGENT_WORDS[ws.agentState] : 'not started yet') : 'unknown'}
          </dd>
        </div>
        <div>
          <dt>Branch</dt>
          <dd class="mono" data-fact="branch">
            {task.branch ?? 'none yet'}
          </dd>
        </div>
        <div>
          <dt>Pull request</dt>
          <dd data-fact="pull-request">
            {task.pullRequestUrl ? (
              <a href={task.pullRequestUrl} target="_blank" rel="noreferrer">
                {task.pullRequestUrl.replace(/^https?:\/\//, '')}
              </a>
            ) : (
              'none yet'
            )}
          </dd>
        </div>
      </dl>
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
      <section class="card" aria-labelledby="followups-title">
        <h2 id="followups-title">Follow-ups</h2>
        {messages.length === 0 ? <p class="muted small">None yet.</p> : null}
        <ol class="feed">
          {messages.map((m) => (
            <li key={m.id} class="feed-item">
              <span class="feed-message">{m.text}</span>
              <span class="muted small">
                <TimeAgo iso={m.createdAt} />
              </span>
            </li>
          ))}
        </ol>
        {takesFollowUp ? (
          <form class="chat-form" onSubmit={send}>
            <label for="task-followup">
              {ended ? 'Continue on the same branch with a follow-up' : 'Add a follow-up'}
            </label>
            <textarea
              id="task-followup"
              rows={2}
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
            />
            <div class="chat-actions">
              <button type="submit" class="button primary" disabled={!text.trim()}>
                Send follow-up
              </button>
            </div>
          </form>
        ) : null}
      </section>
      {confirming ? (
        <ConfirmDialog
          title="Cancel this task?"
          confirmLabel="Cancel task"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => void cancel()}
        >
          <p>The agent stops working on it. The workspace stays.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
