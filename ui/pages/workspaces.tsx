// The workspaces list: live status from the event stream, create, and per-row start/stop/delete.
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Project } from '../api.ts';
import { EmptyState, Hint } from '../components/notice.tsx';
import { WorkspaceBadge } from '../components/status-badge.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { useLive } from '../live.ts';
import { Link } from '../router.tsx';
import { WorkspaceActions } from './workspace-actions.tsx';
import { WorkspaceCreate } from './workspace-create.tsx';

export function WorkspacesPage() {
  const live = useLive();
  const [creating, setCreating] = useState(false);
  const [projects, setProjects] = useState(new Map<string, Project>());
  const [created, setCreated] = useState<string>();
  const workspaces = [...live.workspaces.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const nodes = [...live.nodes.values()];

  // Project names for the list; refreshed when a workspace names a project we have not seen.
  const unknownProject = workspaces.some((w) => !projects.has(w.projectId));
  useEffect(() => {
    if (!unknownProject) return;
    must(api.GET('/api/v1/projects')).then(
      (r) => setProjects(new Map(r.items.map((p) => [p.id, p]))),
      () => {},
    );
  }, [unknownProject]);

  return (
    <div class="page">
      <div class="page-head">
        <h1 tabIndex={-1}>Workspaces</h1>
        {!creating ? (
          <button type="button" class="button primary" onClick={() => setCreating(true)}>
            New workspace
          </button>
        ) : null}
      </div>
      {creating ? (
        <WorkspaceCreate
          nodes={nodes}
          onCancel={() => setCreating(false)}
          onCreated={(w) => {
            setCreating(false);
            setCreated(w.name);
          }}
        />
      ) : null}
      <div class="sr-only" aria-live="polite">
        {created ? `Workspace ${created} created.` : ''}
      </div>
      {live.loaded && nodes.length === 0 && workspaces.length > 0 ? (
        <Hint>
          No node has joined yet, so new workspaces wait. <Link href="/settings">Create a join token</Link>{' '}
          and run its command on a machine to add one.
        </Hint>
      ) : null}
      {!live.loaded ? (
        <div class="loading" aria-busy="true">
          <span class="spinner" aria-hidden="true" /> Loading workspaces…
        </div>
      ) : workspaces.length === 0 ? (
        creating ? null : (
          <EmptyState title="No workspaces yet">
            <p>A workspace is a shell and your app running on one of your nodes.</p>
            <button type="button" class="button primary" onClick={() => setCreating(true)}>
              Create your first workspace
            </button>
            {nodes.length === 0 ? (
              <p class="muted small">
                No node has joined either: <Link href="/settings">create a join token</Link> for a machine
                first, or create the workspace now and it starts when a node arrives.
              </p>
            ) : null}
          </EmptyState>
        )
      ) : (
        <ul class="rows" aria-label="Workspaces">
          {workspaces.map((w) => {
            const node = w.nodeId ? live.nodes.get(w.nodeId) : undefined;
            return (
              <li key={w.id} class="row" data-workspace={w.name}>
                <div class="row-main">
                  <Link href={`/workspaces/${w.id}`} class="row-title">
                    {w.name}
                  </Link>
                  <div class="row-meta">
                    <span>{projects.get(w.projectId)?.name ?? 'project'}</span>
                    <span aria-hidden="true">·</span>
                    <span>{node ? `on ${node.name}` : w.nodeId ? 'on a node' : 'not placed yet'}</span>
                    <span aria-hidden="true">·</span>
                    <span>
                      created <TimeAgo iso={w.createdAt} />
                    </span>
                  </div>
                  {w.statusReason && (w.status === 'error' || w.status === 'unreachable') ? (
                    <div class="row-reason">{w.statusReason}</div>
                  ) : null}
                </div>
                <div class="row-status" aria-live="polite">
                  <WorkspaceBadge status={w.status} />
                </div>
                <WorkspaceActions workspace={w} />
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
