// Nodes: each node's status in words, how it isolates workspaces, what it hosts, its address and load, and
// a picture of the mesh; admins rename and drain nodes.
import { useState } from 'preact/hooks';
import { api, must, type Node, type User } from '../api.ts';
import { EmptyState, ErrorNotice } from '../components/notice.tsx';
import { NodeBadge } from '../components/status-badge.tsx';
import { TimeAgo } from '../components/time-ago.tsx';
import { useLive } from '../live.ts';
import { useMesh } from '../mesh.ts';
import { describe } from '../problem.ts';
import { Link } from '../router.tsx';
import { MeshPicture } from './mesh-picture.tsx';

const MEANING: Record<Node['status'], string> = {
  online: 'Heartbeating and taking workspaces.',
  degraded: 'Heartbeats are late; it still serves its workspaces.',
  suspect: 'Peers cannot reach it right now; the mesh is checking.',
  partitioned: 'Cut off from part of the mesh.',
  offline: 'Stopped, or no longer heard from. Check the machine and its `warren node` process.',
  awaiting_agent: 'A laptop that is asleep or whose agent stopped. It re-joins by itself when back.',
};

/**
 * How the node keeps workspaces from itself: a short label when sandboxed, a note when the sandbox shares the
 * host's network, a warning when there is no sandbox at all (they can read what the node's user can).
 */
function Isolation({ isolation }: { isolation: Node['isolation'] }) {
  switch (isolation) {
    case 'sandbox':
      return (
        <p class="isolation" data-isolation="sandbox">
          <span class="tag tone-ok">Sandboxed</span>
        </p>
      );
    case 'sandbox-shared-network':
      return (
        <p class="isolation small" data-isolation="sandbox-shared-network">
          <strong>Sandboxed, shared network:</strong> workspaces can reach this machine's loopback services.
        </p>
      );
    case 'process':
      return (
        <div class="notice hint isolation" data-isolation="process" role="note">
          <span class="notice-text">
            <strong>No isolation:</strong> workspaces run as the node's user and can read what it holds.
          </span>
        </div>
      );
    default:
      return (
        <p class="isolation muted small" data-isolation="unknown">
          Isolation not reported: this node has not said how it keeps workspaces apart.
        </p>
      );
  }
}

function Meter({ label, value }: { label: string; value: number }) {
  const pct = Math.max(0, Math.min(100, Math.round(value * 100)));
  return (
    <div class="meter">
      <span class="meter-label">{label}</span>
      <span class="meter-bar" aria-hidden="true">
        <span style={{ width: `${pct}%` }} />
      </span>
      <span class="meter-value">{pct}%</span>
    </div>
  );
}

/** Rename and drain (admins): a drained node takes no new workspaces or tasks, those it has keep running. */
function NodeAdmin({ node }: { node: Node }) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(node.name);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const change = async (body: { name?: string; drained?: boolean }) => {
    setBusy(true);
    setError(undefined);
    try {
      // The live stream brings the changed node to every open page.
      await must(api.PATCH('/api/v1/nodes/{id}', { params: { path: { id: node.id } }, body }));
      setRenaming(false);
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="node-admin">
      {renaming ? (
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void change({ name: name.trim() });
          }}
        >
          <label for={`node-${node.id}-name`}>New name</label>
          <input
            id={`node-${node.id}-name`}
            required
            maxLength={64}
            autoComplete="off"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <button type="submit" class="button small primary" disabled={busy}>
            Save name
          </button>
          <button type="button" class="button small" onClick={() => setRenaming(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div class="card-actions">
          <button
            type="button"
            class="button small"
            onClick={() => {
              setName(node.name);
              setRenaming(true);
            }}
          >
            Rename<span class="sr-only"> {node.name}</span>
          </button>
          <button
            type="button"
            class="button small"
            disabled={busy}
            onClick={() => void change({ drained: !node.drainedAt })}
          >
            {node.drainedAt ? 'Undrain' : 'Drain'}
            <span class="sr-only"> {node.name}</span>
          </button>
        </div>
      )}
      <ErrorNotice message={error} onDismiss={() => setError(undefined)} />
    </div>
  );
}

export function NodesPage({ user }: { user: User }) {
  const live = useLive();
  const mesh = useMesh();
  const nodes = [...live.nodes.values()].sort((a, b) => a.name.localeCompare(b.name));
  const hosted = (id: string) => [...live.workspaces.values()].filter((w) => w.nodeId === id);
  return (
    <div class="page">
      <div class="page-head">
        <h1 tabIndex={-1}>Nodes</h1>
        {user.role === 'admin' ? (
          <Link href="/settings#join-tokens" class="button">
            Add a node
          </Link>
        ) : null}
      </div>
      {!live.loaded ? (
        <div class="loading" aria-busy="true">
          <span class="spinner" aria-hidden="true" /> Loading nodes…
        </div>
      ) : nodes.length === 0 ? (
        <EmptyState title="No nodes yet">
          <p>Nodes are the machines that run workspaces: a server, a VM, or your laptop.</p>
          {user.role === 'admin' ? (
            <p>
              <Link href="/settings#join-tokens">Create a join token</Link> and run its command on the
              machine.
            </p>
          ) : (
            <p>Ask an admin for a join token, then run its command on the machine.</p>
          )}
        </EmptyState>
      ) : (
        <div class="nodes-layout">
          <section class="card" aria-labelledby="mesh-title">
            <h2 id="mesh-title">Mesh</h2>
            {mesh === undefined ? (
              <p class="muted" aria-busy="true">
                Reading the mesh…
              </p>
            ) : mesh === 'failed' ? (
              <p class="muted">The mesh view could not be read from the control plane.</p>
            ) : !mesh.enabled ? (
              <p class="muted">
                The control plane runs without a mesh member, so it has no live view of the mesh. The nodes
                below are known from their heartbeats.
              </p>
            ) : (
              <>
                <MeshPicture members={mesh.members} />
                <p class="muted small">
                  {mesh.routes.length} workspace route{mesh.routes.length === 1 ? '' : 's'} in the registry
                  {user.role === 'admin' ? '' : ' (yours)'}; the control plane's member has made{' '}
                  {mesh.counters.probes} probes and {mesh.counters.syncs} syncs and applied{' '}
                  {mesh.counters.entriesApplied} entries.
                </p>
              </>
            )}
          </section>
          <ul class="node-list" aria-label="Nodes">
            {nodes.map((n) => {
              const ws = hosted(n.id);
              return (
                <li key={n.id} class="card node" data-node={n.name}>
                  <div class="card-head">
                    <h2>{n.name}</h2>
                    <NodeBadge status={n.status} />
                  </div>
                  {/* Drained and online: the drain note says what it does instead of "taking workspaces". */}
                  {n.drainedAt && n.status === 'online' ? null : (
                    <p class="muted small">{MEANING[n.status]}</p>
                  )}
                  {n.drainedAt ? (
                    <p class="drain-note small" data-drained="true">
                      <span class="tag">Drained</span> No new workspaces or tasks go here; the ones it hosts
                      keep running.
                    </p>
                  ) : null}
                  {user.role === 'admin' ? <NodeAdmin node={n} /> : null}
                  <Isolation isolation={n.isolation} />
                  <dl class="facts compact">
                    <div class="address">
                      <dt>Address</dt>
                      <dd class="mono">{n.address}</dd>
                    </div>
                    <div>
                      <dt>Workspaces</dt>
                      <dd>
                        {n.workspaceCount} of {n.capacity.workspaces}
                      </dd>
                    </div>
                    <div>
                      <dt>Last heartbeat</dt>
                      <dd>
                        <TimeAgo iso={n.lastHeartbeatAt} />
                      </dd>
                    </div>
                    <div>
                      <dt>Kind</dt>
                      <dd>
                        {n.laptop ? 'Laptop' : 'Server'}
                        {n.version ? `, ${n.version}` : ''}
                      </dd>
                    </div>
                  </dl>
                  {n.load ? (
                    <div class="meters">
                      <Meter label="CPU" value={n.load.cpu} />
                      <Meter label="Memory" value={n.load.memory} />
                    </div>
                  ) : (
                    <p class="muted small">No load reported yet.</p>
                  )}
                  {ws.length > 0 ? (
                    <p class="hosted">
                      Hosts{' '}
                      {ws.map((w, i) => (
                        <span key={w.id}>
                          {i > 0 ? ', ' : ''}
                          <Link href={`/workspaces/${w.id}`}>{w.name}</Link>
                        </span>
                      ))}
                    </p>
                  ) : null}
                  {Object.keys(n.labels).length > 0 ? (
                    <ul class="labels" aria-label="Labels">
                      {Object.entries(n.labels).map(([k, v]) => (
                        <li key={k} class="tag">
                          {k}={v}
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </div>
  );
}
