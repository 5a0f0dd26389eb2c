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
  agentPermissions: Project['agentPermissions'];
  limits: Limits;
};

const draftOf = (p?: Project): Draft => ({
  name: p?.name ?? '',
  description: p?.description ?? '',
  appCommand: p?.appCommand ?? '',
  agentCommand: p?.agentCommand ?? '',
  agentPermissions: p?.agentPermissions ?? 'ask',
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
  const [github, setGithub] = useState(false);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string>();
  const [deleting, setDeleting] = useState<Project>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    // Repositories are bound through the GitHub App: the editor shows only where one is configured.
    must(api.GET('/api/v1/auth/providers')).then(
      (r) => setGithub(r.github.enabled),
      () => {},
    );
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
                    <dt>Agent permissions</dt>
                    <dd>{p.agentPermissions === 'allow' ? 'Allowed at once' : 'Asked of a person'}</dd>
                  </div>
                  <div>
                    <dt>Resources</dt>
                    <dd>{resourcesText(p.resources)}</dd>
                  </div>
                  <div>
                    <dt>Repositories</dt>
                    <dd>
                      {github ? (
                        <RepositoryEditor project={p} onChange={replace} />
                      ) : p.repositories.length > 0 ? (
                        <RepositoryList project={p} />
                      ) : (
                        <span class="muted">None</span>
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

function RepositoryList({ project, onRemove }: { project: Project; onRemove?: (repoId: number) => void }) {
  return (
    <ul class="repos" aria-label={`Repositories of ${project.name}`}>
      {project.repositories.map((r) => (
        <li key={r.repoId}>
          <span class="mono">{r.fullName}</span>
          {r.role === 'primary' ? (
            <span class="tag">primary</span>
          ) : onRemove ? (
            <button type="button" class="link-button" onClick={() => onRemove(r.repoId)}>
              Remove<span class="sr-only"> {r.fullName}</span>
            </button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

type Installation = { id: number; accountLogin: string };

/**
 * A project's repositories through the GitHub App: bind the primary (which installation, which repository), add
 * more (its same-owner submodules are suggested), remove additional ones. The control plane checks that both the
 * user and the installation reach each repository before it is added.
 */
function RepositoryEditor({ project, onChange }: { project: Project; onChange: (p: Project) => void }) {
  const [open, setOpen] = useState(false);
  const [installations, setInstallations] = useState<Installation[]>();
  const [installationId, setInstallationId] = useState('');
  const [repo, setRepo] = useState('');
  const [suggestions, setSuggestions] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const path = { params: { path: { id: project.id } } };
  const bound = project.repositories.length > 0;

  const loadSuggestions = () =>
    must(api.GET('/api/v1/projects/{id}/repositories/suggestions', path)).then(
      (r) => setSuggestions(r.repos),
      () => setSuggestions([]),
    );
  useEffect(() => {
    if (!open) return;
    if (!bound)
      must(api.GET('/api/v1/github/installations')).then(
        (r) => {
          setInstallations(r.items);
          setInstallationId(String(r.items[0]?.id ?? ''));
        },
        (e) => {
          setInstallations([]);
          setError(describe(e));
        },
      );
    else void loadSuggestions();
  }, [open, bound]);

  /** Runs a change; the answer is the project's repository set, which the card then shows. */
  const run = async (
    call: () => Promise<{ repos: { repoId: number; fullName: string; role: 'primary' | 'additional' }[] }>,
  ) => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await call();
      // The primary first, as the project list shows them.
      const primaryFirst = [...r.repos].sort(
        (a, b) => Number(b.role === 'primary') - Number(a.role === 'primary'),
      );
      onChange({ ...project, repositories: primaryFirst });
      setRepo('');
      void loadSuggestions();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  };
  const add = (name: string) =>
    run(() =>
      bound
        ? must(api.POST('/api/v1/projects/{id}/repositories', { ...path, body: { repo: name } }))
        : must(
            api.PUT('/api/v1/projects/{id}/repositories/primary', {
              ...path,
              body: { installationId: Number(installationId), repo: name },
            }),
          ),
    );
  const remove = (repoId: number) =>
    run(() =>
      must(
        api.DELETE('/api/v1/projects/{id}/repositories/{repoId}', {
          params: { path: { id: project.id, repoId: String(repoId) } },
        }),
      ),
    );

  if (!open)
    return (
      <>
        {bound ? <RepositoryList project={project} /> : <span class="muted">None bound yet. </span>}
        <button type="button" class="link-button" onClick={() => setOpen(true)}>
          Manage repositories<span class="sr-only"> of {project.name}</span>
        </button>
      </>
    );
  const id = `repo-${project.id}`;
  return (
    <div class="repo-editor">
      {bound ? <RepositoryList project={project} onRemove={(r) => void remove(r)} /> : null}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void add(repo.trim());
        }}
      >
        {!bound ? (
          <>
            <label for={`${id}-installation`}>GitHub installation</label>
            <select
              id={`${id}-installation`}
              required
              value={installationId}
              onChange={(e) => setInstallationId(e.currentTarget.value)}
            >
              {(installations ?? []).map((i) => (
                <option key={i.id} value={String(i.id)}>
                  {i.accountLogin}
                </option>
              ))}
            </select>
          </>
        ) : null}
        <label for={`${id}-name`}>{bound ? 'Add a repository' : 'Primary repository'}</label>
        <input
          id={`${id}-name`}
          class="mono"
          required
          maxLength={140}
          autoComplete="off"
          spellcheck={false}
          placeholder="owner/name"
          value={repo}
          onInput={(e) => setRepo(e.currentTarget.value)}
        />
        <button type="submit" class="button small primary" disabled={busy}>
          {bound ? 'Add' : 'Bind'}
        </button>
        <button type="button" class="button small" onClick={() => setOpen(false)}>
          Done
        </button>
      </form>
      {suggestions.length > 0 ? (
        <p class="small">
          Submodules of the primary:{' '}
          {suggestions.map((s) => (
            <button key={s} type="button" class="button small" disabled={busy} onClick={() => void add(s)}>
              Add {s}
            </button>
          ))}
        </p>
      ) : null}
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
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
                agentPermissions: draft.agentPermissions,
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
                agentPermissions: draft.agentPermissions,
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
        <div class="field">
          <label for={`project-${id}-permissions`}>Agent permission requests</label>
          <select
            id={`project-${id}-permissions`}
            value={draft.agentPermissions}
            onChange={(e) => set({ agentPermissions: e.currentTarget.value as Draft['agentPermissions'] })}
          >
            <option value="ask">Ask a person (chat, task page, CLI)</option>
            <option value="allow">Allow at once</option>
          </select>
          <span class="help">
            When the agent asks to run a tool or change a file. Allowing trusts the workspace's sandbox alone.
          </span>
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
