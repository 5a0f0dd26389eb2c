// A picture of the mesh: the members the control plane's member sees (itself included), coloured by SWIM state.
import type { MeshMember } from '../api.ts';

const COLOR: Record<MeshMember['state'], string> = {
  alive: '#2f8f6b',
  suspect: '#c98a1b',
  dead: '#c0392b',
  left: '#8a8f98',
};

/**
 * Members on a ring, coloured by their state as the control plane's member sees it. The mesh does not report
 * who gossiped with whom: every pair of live members is drawn linked (any member may probe or push-pull with
 * any other), and the caption says so. Members that are not live get a dashed link.
 */
export function MeshPicture({ members }: { members: MeshMember[] }) {
  const size = 280;
  const c = size / 2;
  const r = members.length <= 1 ? 0 : size / 2 - 40;
  const points = members.map((m, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, members.length) - Math.PI / 2;
    return { m, x: c + r * Math.cos(a), y: c + r * Math.sin(a) };
  });
  const live = (m: MeshMember) => m.state === 'alive';
  const count = (s: MeshMember['state']) => members.filter((m) => m.state === s).length;
  const summary = `${members.length} mesh members: ${count('alive')} alive, ${count('suspect')} suspect, ${count('dead')} dead, ${count('left')} left.`;
  const label = (m: MeshMember) => {
    const name = m.name ?? m.id;
    return name.length > 16 ? `${name.slice(0, 15)}…` : name;
  };
  return (
    <figure class="mesh">
      <svg viewBox={`0 0 ${size} ${size}`} role="img" aria-label={`Mesh picture. ${summary}`}>
        {points.flatMap((a, i) =>
          points
            .slice(i + 1)
            .map((b) => (
              <line
                key={`${a.m.id}-${b.m.id}`}
                x1={a.x}
                y1={a.y}
                x2={b.x}
                y2={b.y}
                style={{ stroke: live(a.m) && live(b.m) ? 'var(--accent-line)' : 'var(--line-strong)' }}
                stroke-width="1.5"
                stroke-dasharray={live(a.m) && live(b.m) ? undefined : '4 4'}
              />
            )),
        )}
        {points.map((p) => (
          <g key={p.m.id} data-member={p.m.name ?? p.m.id} data-state={p.m.state}>
            <title>{`${p.m.name ?? p.m.id} (${p.m.control ? 'control plane, ' : ''}${p.m.state}) at ${p.m.address}, incarnation ${p.m.incarnation}`}</title>
            {p.m.control ? (
              <rect
                x={p.x - 14}
                y={p.y - 14}
                width="28"
                height="28"
                rx="6"
                style={{ fill: 'var(--surface)' }}
                stroke={COLOR[p.m.state]}
                stroke-width="3"
              />
            ) : (
              <circle
                cx={p.x}
                cy={p.y}
                r="14"
                style={{ fill: 'var(--surface)' }}
                stroke={COLOR[p.m.state]}
                stroke-width="3"
              />
            )}
            <text x={p.x} y={p.y + 30} text-anchor="middle" font-size="11" fill="currentColor">
              {label(p.m)}
            </text>
          </g>
        ))}
      </svg>
      <figcaption class="muted small">
        {summary} As the control plane's mesh member sees them (the square). Links stand for "may gossip":
        members probe and sync with peers chosen at random, so every pair of live members is drawn linked.
      </figcaption>
    </figure>
  );
}
