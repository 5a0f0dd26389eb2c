// A picture of the mesh: nodes on a ring, coloured by status, linked to the peers they gossip with.
import type { Node } from '../api.ts';

const COLOR: Record<string, string> = {
  online: '#2f8f6b',
  degraded: '#c98a1b',
  suspect: '#c98a1b',
  partitioned: '#c4622d',
  offline: '#c0392b',
  awaiting_agent: '#8a8f98',
};

/**
 * Until the mesh API reports real links, every live node is drawn linked to every other one (nodes gossip
 * with all peers); nodes that are not live are drawn apart with a dashed link.
 */
export function MeshPicture({ nodes }: { nodes: Node[] }) {
  const size = 280;
  const c = size / 2;
  const r = nodes.length <= 1 ? 0 : size / 2 - 40;
  const points = nodes.map((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, nodes.length) - Math.PI / 2;
    return { n, x: c + r * Math.cos(a), y: c + r * Math.sin(a) };
  });
  const live = (n: Node) => n.status === 'online' || n.status === 'degraded';
  const summary = `${nodes.filter(live).length} of ${nodes.length} nodes are live and gossiping with each other.`;
  return (
    <figure class="mesh">
      <svg viewBox={`0 0 ${size} ${size}`} role="img" aria-label={`Mesh picture. ${summary}`}>
        {points.flatMap((a, i) =>
          points
            .slice(i + 1)
            .map((b) => (
              <line
                key={`${a.n.id}-${b.n.id}`}
                x1={a.x}
                y1={a.y}
                x2={b.x}
                y2={b.y}
                style={{ stroke: live(a.n) && live(b.n) ? 'var(--accent-line)' : 'var(--line-strong)' }}
                stroke-width="1.5"
                stroke-dasharray={live(a.n) && live(b.n) ? undefined : '4 4'}
              />
            )),
        )}
        {points.map((p) => (
          <g key={p.n.id}>
            <circle
              cx={p.x}
              cy={p.y}
              r="14"
              style={{ fill: 'var(--surface)' }}
              stroke={COLOR[p.n.status] ?? '#8a8f98'}
              stroke-width="3"
            />
            <text x={p.x} y={p.y + 30} text-anchor="middle" font-size="11" fill="currentColor">
              {p.n.name.length > 16 ? `${p.n.name.slice(0, 15)}…` : p.n.name}
            </text>
          </g>
        ))}
      </svg>
      <figcaption class="muted small">
        {summary} Links are drawn from the node list; live links and their latency arrive with the mesh API.
      </figcaption>
    </figure>
  );
}
