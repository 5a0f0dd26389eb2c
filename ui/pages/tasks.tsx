// Tasks: submit a prompt for an agent in a project, list them with their states (searchable, filtered by state),
// open one.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must, type Project, type Task, type TaskStatus } from '../api.ts';
import { EmptyState, ErrorNotice } from '../components/notice.tsx';
import { TASK_WORDS, TaskBadge } from '../components/status-badge.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { upsertTask, useLive } from '../live.ts';
import { describe } from '../problem.ts';
import { Link, navigate } from '../router.tsx';

export function TasksPage() {
  const live = useLive();
  // A search asks the API; otherwise the list is the live stream's (states change in place, no polling).
  const [found, setFound] = useState<Task[]>();
  const [projects, setProjects] = useState<Project[]>([]);
  const [projectId, setProjectId] = useState('');
  const [prompt, setPrompt] = useState('');
  const [q, setQ] = useState('');
  const [searched, setSearched] = useState('');
  // One state, or '' for all: applied to the live list and to search results alike.
  const [state, setState] = useState<TaskStatus | ''>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // One key per prompt being submitted: a retry after a lost answer returns the same task.
  const key = useRef(crypto.randomUUID());
  useEffect(() => {
    if (!searched) {
      setFound(undefined);
      return;
    }
    must(api.GET('/api/v1/tasks', { params: { query: { q: searched } } })).then(
      (r) => setFound(r.items),
      (e) => {
        setFound([]);
        setError(describe(e));
      },
    );
  }, [searched]);
  const listed: Task[] | undefined = searched
    ? found
    : live.loaded
      ? [...live.tasks.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      : undefined;
  const tasks = state ? listed?.filter((t) => t.status === state) : listed;
  useEffect(() => {
    must(api.GET('/api/v1/projects')).then(
      (r) => {
        setProjects(r.items);
        setProjectId((id) => id || (r.items[0]?.id ?? ''));
      },
      (e) => setError(describe(e)),
    );
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const t = await must(
        api.POST('/api/v1/tasks', {
          body: { projectId, prompt: prompt.trim(), idempotencyKey: key.current },
        }),
      );
      key.current = crypto.randomUUID();
      upsertTask(t);
      setPrompt('');
      navigate(`/tasks/${t.id}`);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  const projectName = (id: string) => projects.find((p) => p.id === id)?.name ?? 'project';
  return (
    <div class="page">
      <div class="page-head">
        <h1 tabIndex={-1}>Tasks</h1>
      </div>
      <form class="card stack" onSubmit={submit} aria-labelledby="task-new-title">
        <h2 id="task-new-title">New task</h2>
        {projects.length === 0 ? (
          <p class="muted">
            Tasks run in a project. <Link href="/workspaces">Create a workspace</Link> with a new project
            first.
          </p>
        ) : (
          <>
            <div class="field">
              <label for="task-project">Project</label>
              <select
                id="task-project"
                value={projectId}
                onChange={(e) => setProjectId(e.currentTarget.value)}
              >
                {projects.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="task-prompt">What should the agent do?</label>
              <textarea
                id="task-prompt"
                rows={3}
                required
                placeholder="Fix the flaky checkout test and open a pull request"
                value={prompt}
                onInput={(e) => setPrompt(e.currentTarget.value)}
              />
            </div>
            <div class="form-actions">
              <button type="submit" class="button primary" disabled={busy || !prompt.trim()}>
                {busy ? 'Submitting…' : 'Submit task'}
              </button>
            </div>
          </>
        )}
      </form>
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearched(q.trim());
        }}
      >
        <label for="task-q" class="sr-only">
          Search tasks
        </label>
        <input
          id="task-q"
          type="search"
          placeholder="Search prompts and summaries"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <label for="task-state" class="sr-only">
          State
        </label>
        <select
          id="task-state"
          value={state}
          onChange={(e) => setState(e.currentTarget.value as TaskStatus | '')}
        >
          <option value="">All states</option>
          {(Object.keys(TASK_WORDS) as TaskStatus[]).map((s) => (
            <option key={s} value={s}>
              {TASK_WORDS[s]}
            </option>
          ))}
        </select>
      </form>
      {tasks === undefined ? (
        <p class="loading">
          <span class="spinner" aria-hidden="true" /> Loading tasks…
        </p>
      ) : tasks.length === 0 ? (
        <EmptyState title={searched || state ? 'No task matches' : 'No tasks yet'}>
          <p>
            {searched || state
              ? 'Try other words or another state, or clear the search.'
              : 'Describe a piece of work above; Warren finds or starts a workspace and hands it to an agent.'}
          </p>
        </EmptyState>
      ) : (
        <ul class="rows" aria-label="Tasks">
          {tasks.map((t) => (
            <li key={t.id} class="row task-row" data-task={t.id}>
              <div class="row-main">
                <Link href={`/tasks/${t.id}`} class="row-title clamp">
                  {t.prompt}
                </Link>
                <div class="row-meta">
                  <span>{projectName(t.projectId)}</span>
                  <span aria-hidden="true">·</span>
                  <span>
                    submitted <TimeAgo iso={t.createdAt} />
                  </span>
                </div>
              </div>
              <div class="row-status">
                <TaskBadge status={t.status} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
