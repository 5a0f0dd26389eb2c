// The form that creates a workspace (name, project or a new one, node or automatic, commands, shell, env and
// resource limits) and, given a workspace, edits it: the same fields, sent as a change that restarts it with them.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must, type Node, type Project, type Workspace } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { LimitInputs, type Limits, resourcesOf } from '../components/resource-limits.tsx';
import { upsertWorkspace } from '../live.ts';
import { describe } from '../problem.ts';

const NEW_PROJECT = '__new__';

/** The limits as the form's inputs hold them (blank: the node's default). */
function limitsOf(w: Workspace | undefined): Limits {
  const r = w?.resources ?? {};
  return {
    memoryMb: r.memoryMb === undefined ? '' : String(r.memoryMb),
    pids: r.pids === undefined ? '' : String(r.pids),
    cpus: r.cpus === undefined ? '' : String(r.cpus),
  };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `NAME=value` lines as variables; throws with the line that is not one. Blank lines are skipped. */
export function parseEnvLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq).trim();
    if (eq < 0 || !ENV_NAME.test(name))
      throw new Error(`Environment line ${i + 1} is not NAME=value (a name of letters, digits and _).`);
    out[name] = line.slice(eq + 1);
  }
  return out;
}

export interface WorkspaceCreateProps {
  nodes: Node[];
  onCreated: (w: Workspace) => void;
  onCancel: () => void;
  /** Edit this workspace instead of creating one: project, node and shell stay, the rest can change. */
  editing?: Workspace;
}

export function WorkspaceCreate({ nodes, onCreated, onCancel, editing }: WorkspaceCreateProps) {
  const [projects, setProjects] = useState<Project[]>();
  const [projectId, setProjectId] = useState('');
  const [newProject, setNewProject] = useState('');
  const [name, setName] = useState(editing?.name ?? '');
  const [nodeId, setNodeId] = useState('');
  const [appCommand, setAppCommand] = useState(editing?.appCommand ?? '');
  const [agentCommand, setAgentCommand] = useState(editing?.agentCommand ?? '');
  const [shell, setShell] = useState('');
  const [limits, setLimits] = useState<Limits>(limitsOf(editing));
  const [envText, setEnvText] = useState('');
  const [removed, setRemoved] = useState<string[]>([]);
  const [step, setStep] = useState<string>();
  const [error, setError] = useState<string>();
  const nameInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    nameInput.current?.focus();
    if (editing) return;
    must(api.GET('/api/v1/projects')).then(
      (r) => {
        setProjects(r.items);
        setProjectId(r.items[0]?.id ?? NEW_PROJECT);
      },
      (e) => {
        setProjects([]);
        setProjectId(NEW_PROJECT);
        setError(describe(e));
      },
    );
  }, []);

  /** The edit as a change: only what differs from the workspace, env as sets and removals. */
  const save = async (w: Workspace) => {
    const env: Record<string, string | null> = parseEnvLines(envText);
    for (const n of removed) if (!(n in env)) env[n] = null;
    const resources = resourcesOf(limits);
    const app = appCommand.trim() || null;
    const agent = agentCommand.trim() || null;
    const body = {
      ...(name.trim() !== w.name ? { name: name.trim() } : {}),
      ...(app !== w.appCommand ? { appCommand: app } : {}),
      ...(agent !== w.agentCommand ? { agentCommand: agent } : {}),
      ...(Object.keys(env).length > 0 ? { env } : {}),
      ...(JSON.stringify(resources) !== JSON.stringify(w.resources) ? { resources } : {}),
    };
    if (Object.keys(body).length === 0) return w;
    setStep('Saving…');
    return must(api.PATCH('/api/v1/workspaces/{id}', { params: { path: { id: w.id } }, body }));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      if (editing) {
        const w = await save(editing);
        upsertWorkspace(w);
        onCreated(w);
        return;
      }
      const env = parseEnvLines(envText);
      let project = projectId;
      if (project === NEW_PROJECT) {
        setStep('Creating the project…');
        const created = await must(api.POST('/api/v1/projects', { body: { name: newProject.trim() } }));
        setProjects((ps) => [...(ps ?? []), created]);
        setProjectId(created.id);
        project = created.id;
      }
      setStep('Creating the workspace…');
      const resources = resourcesOf(limits);
      const w = await must(
        api.POST('/api/v1/workspaces', {
          body: {
            name: name.trim(),
            projectId: project,
            ...(nodeId ? { nodeId } : {}),
            ...(appCommand.trim() ? { appCommand: appCommand.trim() } : {}),
            ...(agentCommand.trim() ? { agentCommand: agentCommand.trim() } : {}),
            ...(shell.trim() ? { shell: shell.trim() } : {}),
            ...(Object.keys(env).length > 0 ? { env } : {}),
            ...(Object.keys(resources).length > 0 ? { resources } : {}),
          },
        }),
      );
      upsertWorkspace(w);
      onCreated(w);
    } catch (err) {
      setError(describe(err));
    } finally {
      setStep(undefined);
    }
  };

  const usable = nodes.filter((n) => (n.status === 'online' || n.status === 'degraded') && !n.drainedAt);
  // Fields left blank take the chosen project's defaults (the control plane fills them in); shown as placeholders.
  const defaults = projects?.find((p) => p.id === projectId);
  return (
    <form class="card create" onSubmit={submit} aria-labelledby="create-title" aria-busy={!!step}>
      <h2 id="create-title">{editing ? `Edit ${editing.name}` : 'New workspace'}</h2>
      {editing &&
      (editing.status === 'running' || editing.status === 'degraded' || editing.status === 'error') ? (
        <p class="muted small">
          Saving a new command, environment or limits restarts the workspace with them.
        </p>
      ) : null}
      <div class="grid-2">
        <div class="field">
          <label for="ws-name">Name</label>
          <input
            id="ws-name"
            ref={nameInput}
            required
            maxLength={64}
            autoComplete="off"
            placeholder="fix-login-bug"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <span class="help">Letters, digits, space, dot, dash and underscore.</span>
        </div>
        {editing ? null : (
          <div class="field">
            <label for="ws-project">Project</label>
            <select id="ws-project" value={projectId} onChange={(e) => setProjectId(e.currentTarget.value)}>
              {(projects ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
              <option value={NEW_PROJECT}>New project…</option>
            </select>
            {projectId === NEW_PROJECT ? (
              <>
                <label for="ws-new-project" class="sub-label">
                  New project name
                </label>
                <input
                  id="ws-new-project"
                  required
                  maxLength={64}
                  autoComplete="off"
                  placeholder="my-app"
                  value={newProject}
                  onInput={(e) => setNewProject(e.currentTarget.value)}
                />
              </>
            ) : null}
          </div>
        )}
        {editing ? null : (
          <div class="field">
            <label for="ws-node">Node</label>
            <select id="ws-node" value={nodeId} onChange={(e) => setNodeId(e.currentTarget.value)}>
              <option value="">Automatic (the node with most room)</option>
              {nodes.map((n) => (
                <option key={n.id} value={n.id} disabled={!!n.drainedAt}>
                  {n.name} ({n.drainedAt ? 'drained' : n.status.replace('_', ' ')}, {n.workspaceCount}/
                  {n.capacity.workspaces})
                </option>
              ))}
            </select>
            {usable.length === 0 ? (
              <span class="help">No node is online: the workspace will wait until one joins.</span>
            ) : null}
          </div>
        )}
        <div class="field">
          <label for="ws-app">
            App command <span class="optional">optional</span>
          </label>
          <input
            id="ws-app"
            class="mono"
            autoComplete="off"
            spellcheck={false}
            placeholder={defaults?.appCommand ?? 'bun run dev --port $PORT'}
            value={appCommand}
            onInput={(e) => setAppCommand(e.currentTarget.value)}
          />
          <span class="help">
            Started in the workspace with $PORT set; Warren serves it through the node. Blank takes the
            project's default.
          </span>
        </div>
        <div class="field">
          <label for="ws-agent">
            Agent command <span class="optional">optional</span>
          </label>
          <input
            id="ws-agent"
            class="mono"
            autoComplete="off"
            spellcheck={false}
            placeholder={defaults?.agentCommand ?? 'claude-code-acp'}
            value={agentCommand}
            onInput={(e) => setAgentCommand(e.currentTarget.value)}
          />
          <span class="help">
            An agent that speaks the Agent Client Protocol; it gets the chat and tasks.
          </span>
        </div>
        {editing ? null : (
          <div class="field">
            <label for="ws-shell">
              Terminal shell <span class="optional">optional</span>
            </label>
            <input
              id="ws-shell"
              class="mono"
              autoComplete="off"
              spellcheck={false}
              placeholder="bash"
              value={shell}
              onInput={(e) => setShell(e.currentTarget.value)}
            />
            <span class="help">
              A login shell by name or path (zsh, /usr/bin/fish); empty: bash where the workspace has it, else
              sh.
            </span>
          </div>
        )}
        <div class="field">
          <label for="ws-env">
            Environment <span class="optional">optional</span>
          </label>
          {editing && editing.envNames.length > 0 ? (
            <ul class="env-names" aria-label="Variables set now">
              {editing.envNames.map((n) => (
                <li key={n}>
                  <label class="mono">
                    <input
                      type="checkbox"
                      checked={removed.includes(n)}
                      onChange={(e) => {
                        const on = e.currentTarget.checked;
                        setRemoved((r) => (on ? [...r, n] : r.filter((x) => x !== n)));
                      }}
                    />{' '}
                    Remove {n}
                  </label>
                </li>
              ))}
            </ul>
          ) : null}
          <textarea
            id="ws-env"
            class="mono"
            rows={3}
            spellcheck={false}
            autoComplete="off"
            placeholder="NAME=value, one per line"
            value={envText}
            onInput={(e) => setEnvText(e.currentTarget.value)}
          />
          <span class="help">
            {editing
              ? 'Lines here set (or replace) variables; values set before are kept and never shown.'
              : 'Variables every process of the workspace gets.'}
          </span>
        </div>
        <fieldset class="field" aria-describedby="ws-limits-help">
          <legend>
            Resources <span class="optional">optional</span>
          </legend>
          <LimitInputs
            idPrefix="ws"
            limits={limits}
            placeholder={(key) => defaults?.resources[key]?.toString() ?? 'default'}
            onChange={(key, value) => setLimits((l) => ({ ...l, [key]: value }))}
          />
          <span id="ws-limits-help" class="help">
            Limits for all the workspace's processes together; blank takes the project's, else the node's
            default.
          </span>
        </fieldset>
      </div>
      <ErrorNotice message={error} />
      <div class="form-actions">
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" class="button primary" disabled={!!step}>
          {step ?? (editing ? 'Save changes' : 'Create workspace')}
        </button>
      </div>
    </form>
  );
}
