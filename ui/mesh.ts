// The control plane member's live mesh view (GET /api/v1/mesh), re-read when the event stream reports a node or
// workspace change (member state changes move node status, a node not yet in the view heartbeats), never on a timer.
import { useEffect, useState } from 'preact/hooks';
import { api, type MeshView, must } from './api.ts';
import { useLive } from './live.ts';

/** The mesh view, undefined until first read; `failed` when it could not be read. */
export function useMesh(): MeshView | 'failed' | undefined {
  const live = useLive();
  const [view, setView] = useState<MeshView | 'failed'>();
  // A signature of what the stream says about nodes and placements: a change re-reads the view. A node the view
  // does not list yet (it joined the mesh after the control plane) also re-reads on each of its heartbeats.
  const inMesh = new Set(view && view !== 'failed' ? view.members.map((m) => m.id) : []);
  const signal = [
    ...[...live.nodes.values()].map(
      (n) =>
        `${n.id}:${n.status}:${view !== undefined && view !== 'failed' && view.enabled && !inMesh.has(n.id) ? n.lastHeartbeatAt : ''}`,
    ),
    ...[...live.workspaces.values()].map((w) => `${w.id}:${w.nodeId ?? ''}:${w.status}`),
  ]
    .sort()
    .join(',');
  useEffect(() => {
    if (!live.loaded) return;
    let cancelled = false;
    must(api.GET('/api/v1/mesh')).then(
      (v) => !cancelled && setView(v),
      () => !cancelled && setView((old) => old ?? 'failed'),
    );
    return () => {
      cancelled = true;
    };
  }, [live.loaded, signal]);
  return view;
}
