// Projects: each with its repositories and the defaults new workspaces start from; create, rename and change, delete.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must, type Project } from '../api.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { EmptyState, ErrorNotice } from '../components/notice.tsx';
import { LimitInputs, type Limits, resourcesOf } from '../components/resource-limits.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { useLive } from '../live.ts';
import { describe } from '../problem.ts';

type Draft = {
  name: string;
  description: string;
  appCommand: string;
  agentCommand: string;
  limits: Limits;
};

const draftOf = (p?: Project): Draft => ({
  name: p?.name ?? '',
  description: p?.description ?? '',
  appCommand: p?.appCommand ?? '',
  agentCommand: p?.agentCommand ?? '',
  limits: {
    memoryMb: p?.resources.memoryMb?.toString() ?? '',
    pids: p?.resources.pids?.toString() ?? '',
    cpus: p?.resources.cpus?.toString() ?? '',
  },
});

/** What new workspaces of a project get, in words. */
function resourcesText(r: Project['resources']): string {
  const parts = [
    r.memoryMb !== undefined ? `${r.memoryMb} MB memory` : '',
    r.pids !== undefined ? `${r.pids} processes` : '',
    r.cpus !== undefined ? `${r.cpus} CPUs` : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : "The node's defaults";
}

export function ProjectsPage() {
  const live = useLive();
  const [projects, setProjects] = useState<Project[]>();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string>();
  const [deleting, setDeleting] = useState<Project>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    must(api.GET('/api/v1/projects')).then(
      (r) => setProjects(r.items),
      (e) => {
        setProjects([]);
        setError(describe(e));
      },
    );
  }, []);

  const workspacesOf = (id: string) => [...live.workspaces.values()].filter((w) => w.projectId === id);
  const replace = (p: Project) => setProjects((ps) => (ps ?? []).map((x) => (x.id === p.id ? p : x)));

  const remove = async (p: Project) => {
    setDeleting(undefined);
    setError(undefined);
    try {
      await must(api.DELETE('/api/v1/projects/{id}', { params: { path: { id: p.id } } }));
      setProjects((ps) => (ps ?? []).filter((x) => x.id !== p.id));
    } catch (e) {
      setError(describe(e));
    }
  };

  return (
    <div class="page">
      <div class="page-head">
        <h1 tabIndex={-1}>Projects</h1>
        {!creating ? (
          <button type="button" class="button primary" onClick={() => setCreating(true)}>
            New project
          </button>
        ) : null}
      </div>
      {creating ? (
        <ProjectForm
          onSaved={(p) => {
            setProjects((ps) => [...(ps ?? []), p]);
            setCreating(false);
          }}
          onCancel={() => setCreating(false)}
        />
      ) : null}
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
      {projects === undefined ? (
        <div class="loading" aria-busy="true">
          <span class="spinner" aria-hidden="true" /> Loading projects…
        </div>
      ) : projects.length === 0 && !creating ? (
        <EmptyState title="No projects yet">
          <p>
            A project groups workspaces that work on the same code, and holds what they start with: the app
            and agent commands and resource limits.
          </p>
        </EmptyState>
      ) : (
        <ul class="project-list" aria-label="Projects">
          {projects.map((p) =>
            editing === p.id ? (
              <li key={p.id}>
                <ProjectForm
                  project={p}
                  onSaved={(saved) => {
                    replace(saved);
                    setEditing(undefined);
                  }}
                  onCancel={() => setEditing(undefined)}
                />
              </li>
            ) : (
              <li key={p.id} class="card project" data-project={p.name}>
                <div class="card-head">
                  <h2>{p.name}</h2>
                  <div class="card-actions">
                    <button type="button" class="button small" onClick={() => setEditing(p.id)}>
                      Edit<span class="sr-only"> {p.name}</span>
                    </button>
                    <button type="button" class="button small danger-outline" onClick={() => setDeleting(p)}>
                      Delete<span class="sr-only"> {p.name}</span>
                    </button>
                  </div>
                </div>
                {p.description ? <p class="muted">{p.description}</p> : null}
                <dl class="facts compact">
                  <div>
                    <dt>App command</dt>
                    <dd class={p.appCommand ? 'mono' : 'muted'}>{p.appCommand ?? 'None'}</dd>
                  </div>
                  <div>
                    <dt>Agent command</dt>
                    <dd class={p.agentCommand ? 'mono' : 'muted'}>{p.agentCommand ?? 'None'}</dd>
                  </div>
                  <div>
                    <dt>Resources</dt>
                    <dd>{resourcesText(p.resources)}</dd>
                  </div>
                  <div>
                    <dt>Repositories</dt>
                    <dd>
                      {p.repositories.length > 0 ? (
                        <ul class="repos" aria-label={`Repositories of ${p.name}`}>
                          {p.repositories.map((r) => (
                            <li key={r.fullName} class="mono">
                              {r.fullName}
                              {r.role === 'primary' ? <span class="tag">primary</span> : null}
                            </li>
                          ))}
                        </ul>
                      ) : (
                        <span class="muted">None bound (through the GitHub App)</span>
                      )}
                    </dd>
                  </div>
                  <div>
                    <dt>Workspaces</dt>
                    <dd>{workspacesOf(p.id).length}</dd>
                  </div>
                  <div>
                    <dt>Created</dt>
                    <dd>
                      <TimeAgo iso={p.createdAt} />
                    </dd>
                  </div>
                </dl>
              </li>
            ),
          )}
        </ul>
      )}
      {deleting ? (
        <ConfirmDialog
          title={`Delete “${deleting.name}”?`}
          confirmLabel="Delete project"
          danger
          onCancel={() => setDeleting(undefined)}
          onConfirm={() => void remove(deleting)}
        >
          <p>
            {workspacesOf(deleting.id).length > 0
              ? `Its ${workspacesOf(deleting.id).length} workspace(s) are deleted with it. `
              : ''}
            This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

/** Creates a project, or changes one (`project`): name, description and the defaults of its new workspaces. */
function ProjectForm({
  project,
  onSaved,
  onCancel,
}: {
  project?: Project;
  onSaved: (p: Project) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(draftOf(project));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const first = useRef<HTMLInputElement>(null);
  const id = project?.id ?? 'new';
  useEffect(() => first.current?.focus(), []);

  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const appCommand = draft.appCommand.trim();
    const agentCommand = draft.agentCommand.trim();
    const resources = resourcesOf(draft.limits);
    try {
      const saved = project
        ? await must(
            api.PATCH('/api/v1/projects/{id}', {
              params: { path: { id: project.id } },
              body: {
                name: draft.name.trim(),
                description: draft.description.trim(),
                // Blank clears a default.
                appCommand: appCommand || null,
                agentCommand: agentCommand || null,
                resources,
              },
            }),
          )
        : await must(
            api.POST('/api/v1/projects', {
              body: {
                name: draft.name.trim(),
                description: draft.description.trim(),
                ...(appCommand ? { appCommand } : {}),
                ...(agentCommand ? { agentCommand } : {}),
                ...(Object.keys(resources).length > 0 ? { resources } : {}),
              },
            }),
          );
      onSaved(saved);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  const title = project ? `Edit ${project.name}` : 'New project';
  return (
    <form class="card create" onSubmit={submit} aria-labelledby={`project-${id}-title`} aria-busy={busy}>
      <h2 id={`project-${id}-title`}>{title}</h2>
      <div class="grid-2">
        <div class="field">
          <label for={`project-${id}-name`}>Name</label>
          <input
            id={`project-${id}-name`}
            ref={first}
            required
            maxLength={64}
            autoComplete="off"
            placeholder="web-shop"
            value={draft.name}
            onInput={(e) => set({ name: e.currentTarget.value })}
          />
          <span class="help">Letters, digits, space, dot, dash and underscore.</span>
        </div>
        <div class="field">
          <label for={`project-${id}-description`}>
            Description <span class="optional">optional</span>
          </label>
          <input
            id={`project-${id}-description`}
            maxLength={1000}
            autoComplete="off"
            value={draft.description}
            onInput={(e) => set({ description: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for={`project-${id}-app`}>
            App command <span class="optional">optional</span>
          </label>
          <input
            id={`project-${id}-app`}
            class="mono"
            autoComplete="off"
            spellcheck={false}
            placeholder="bun run dev --port $PORT"
            value={draft.appCommand}
            onInput={(e) => set({ appCommand: e.currentTarget.value })}
          />
          <span class="help">New workspaces of the project run it unless they name their own.</span>
        </div>
        <div class="field">
          <label for={`project-${id}-agent`}>
            Agent command <span class="optional">optional</span>
          </label>
          <input
            id={`project-${id}-agent`}
            class="mono"
            autoComplete="off"
            spellcheck={false}
            placeholder="claude-code-acp"
            value={draft.agentCommand}
            onInput={(e) => set({ agentCommand: e.currentTarget.value })}
          />
        </div>
        <fieldset class="field" aria-describedby={`project-${id}-limits-help`}>
          <legend>
            Resources <span class="optional">optional</span>
          </legend>
          <LimitInputs
            idPrefix={`project-${id}`}
            limits={draft.limits}
            placeholder={() => 'default'}
            onChange={(key, value) => setDraft((d) => ({ ...d, limits: { ...d.limits, [key]: value } }))}
          />
          <span id={`project-${id}-limits-help`} class="help">
            Limits new workspaces get; blank takes the node's default. Existing workspaces keep theirs.
          </span>
        </fieldset>
      </div>
      <ErrorNotice message={error} />
      <div class="form-actions">
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Saving…' : project ? 'Save project' : 'Create project'}
        </button>
      </div>
    </form>
  );
}
