// The form that creates a workspace: name, project (or a new one), node or automatic, commands and resource limits.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must, type Node, type Project, type Workspace } from '../api.ts';
import { ErrorNotice } from '../components/notice.tsx';
import { LimitInputs, type Limits, resourcesOf } from '../components/resource-limits.tsx';
import { upsertWorkspace } from '../live.ts';
import { describe } from '../problem.ts';

const NEW_PROJECT = '__new__';

export interface WorkspaceCreateProps {
  nodes: Node[];
  onCreated: (w: Workspace) => void;
  onCancel: () => void;
}

export function WorkspaceCreate({ nodes, onCreated, onCancel }: WorkspaceCreateProps) {
  const [projects, setProjects] = useState<Project[]>();
  const [projectId, setProjectId] = useState('');
  const [newProject, setNewProject] = useState('');
  const [name, setName] = useState('');
  const [nodeId, setNodeId] = useState('');
  const [appCommand, setAppCommand] = useState('');
  const [agentCommand, setAgentCommand] = useState('');
  const [shell, setShell] = useState('');
  const [limits, setLimits] = useState<Limits>({ memoryMb: '', pids: '', cpus: '' });
  const [step, setStep] = useState<string>();
  const [error, setError] = useState<string>();
  const nameInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    nameInput.current?.focus();
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

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
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
      <h2 id="create-title">New workspace</h2>
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
          {step ?? 'Create workspace'}
        </button>
      </div>
    </form>
  );
}
