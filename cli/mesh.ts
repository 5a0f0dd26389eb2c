// `warren mesh status`: one node's view of the mesh — members and their states, the registry digest, counters.
import { parseArgs } from 'node:util';

export const MESH_USAGE = `usage: warren mesh status [--node URL] [--token TOKEN] [--json]

Shows what the node at URL (default http://127.0.0.1:7420) sees of the mesh. Run it on the node's machine:
/_node/members answers loopback callers without a token; from elsewhere pass a control command token.`;

/** The parts of GET /_node/members this command prints (the node sends more). */
interface MeshStatusView {
  id: string;
  address: string;
  protocolVersion: number;
  incarnation: number;
  awareness: number;
  members: { id: string; addr: string; incarnation: number; state: string; since: number }[];
  memberStates: Record<string, number>;
  registry: { digest: Record<string, number>; entries: Record<string, number>; tombstones: number };
  metrics: Record<string, unknown> & {
    gossipBytesIn: number;
    gossipBytesOut: number;
    suspicions: number;
    deaths: number;
    refutations: number;
    droppedEntries: Record<string, number>;
  };
}

export default async function mesh(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (e) {
    process.stderr.write(`warren mesh: ${(e as Error).message}\n\n${MESH_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals[0] !== 'status') {
    process.stderr.write(`${MESH_USAGE}\n`);
    return 2;
  }
  const base = (values.node ?? 'http://127.0.0.1:7420').replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/_node/members`, {
      headers: values.token ? { authorization: `Bearer ${values.token}` } : {},
      signal: AbortSignal.timeout(5_000),
    });
  } catch (e) {
    process.stderr.write(`warren mesh status: cannot reach ${base}: ${(e as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  if (!res.ok) {
    process.stderr.write(`warren mesh status: ${base} answered ${res.status}: ${text}\n`);
    return 1;
  }
  if (values.json) {
    process.stdout.write(`${text}\n`);
    return 0;
  }
  process.stdout.write(render(JSON.parse(text) as MeshStatusView));
  return 0;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    options: { node: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
}

/** A human-readable picture of one node's mesh. */
export function render(s: MeshStatusView, now = Date.now()): string {
  const lines = [
    `member   ${s.id} at ${s.address} (incarnation ${s.incarnation}, protocol v${s.protocolVersion}, awareness ${s.awareness})`,
    `members  ${Object.entries(s.memberStates)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
    '',
    `  ${'ID'.padEnd(26)} ${'ADDRESS'.padEnd(24)} ${'STATE'.padEnd(8)} ${'INCARNATION'.padEnd(12)} SINCE`,
  ];
  const order = { alive: 0, suspect: 1, dead: 2, left: 3 } as Record<string, number>;
  const members = [...s.members].sort(
    (a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || (a.id < b.id ? -1 : 1),
  );
  for (const m of members) {
    const since = m.since > 0 ? `${Math.max(0, Math.round((now - m.since) / 1000))} s ago` : '-';
    lines.push(
      `  ${m.id.padEnd(26)} ${m.addr.padEnd(24)} ${m.state.padEnd(8)} ${String(m.incarnation).padEnd(12)} ${since}`,
    );
  }
  const e = s.registry.entries;
  lines.push(
    '',
    `registry ${Object.entries(e)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}, ${s.registry.tombstones} tombstones`,
    `digest   ${Object.entries(s.registry.digest)
      .map(([o, v]) => `${o}@${v}`)
      .join(' ')}`,
  );
  const dropped = Object.entries(s.metrics.droppedEntries).filter(([, n]) => n > 0);
  lines.push(
    `gossip   ${s.metrics.gossipBytesIn} B in, ${s.metrics.gossipBytesOut} B out; ${s.metrics.suspicions} suspicions, ${s.metrics.deaths} deaths, ${s.metrics.refutations} refutations`,
    `dropped  ${dropped.length ? dropped.map(([r, n]) => `${n} ${r}`).join(', ') : 'none'}`,
    '',
  );
  return lines.join('\n');
}
