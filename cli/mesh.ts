// `warren mesh status`: one node's view of the mesh — members and their states, the registry digest, counters.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_CREDENTIAL_FILE } from '../node/index.ts';
import type { UpFile } from './up.ts';

export const usage = `usage: warren mesh status [--node URL] [--data DIR | --credential-file FILE | --token TOKEN] [--json]

Shows what the node at URL (default http://127.0.0.1:7420) sees of the mesh. The node answers only a caller
with proof, never one for being on loopback:
  --data DIR              the node's data dir, or a \`warren up\` data dir: reads the admin credential of the
                          node at URL (without --node, of the first node in its up.json)
  --credential-file FILE  a file holding the node's admin credential (<node data dir>/${ADMIN_CREDENTIAL_FILE})
  --token TOKEN           a control command token for that node
With none of these it looks for ./.warren/node (a node's default data dir), then ./.warren (warren up's).`;

const DEFAULT_NODE = 'http://127.0.0.1:7420';
// cli/up.ts's UP_FILE, not imported: that module loads the whole control plane.
const UP_FILE = 'up.json';
/** Where `warren node join` and `warren up` keep their state unless told otherwise. */
const DEFAULT_NODE_DATA = join('.warren', 'node');
const DEFAULT_UP_DATA = '.warren';
const NO_PROOF =
  'the node wants proof: pass --data DIR (its data dir or a `warren up` data dir) or --credential-file FILE, ' +
  'or --token TOKEN (a control command token)';

/** Where to ask and what to show as proof, or why that cannot be worked out. */
type Target = { base: string; token: string } | { error: string };

/** The parts of GET /_node/members this command prints (the node sends more). */
interface MeshStatusView {
  id: string;
  address: string;
  protocolVersion: number;
  incarnation: number;
  awareness: number;
  members: { id: string; addr: string; incarnation: number; state: string; since: number }[];
  memberStates: Record<string, number>;
  registry: {
    digest: Record<string, number>;
    entries: Record<string, number>;
    tombstones: number;
    /** False until a push-pull since start brought in all a live peer held (absent from older nodes). */
    synced?: boolean;
  };
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
  const { values, positionals } = parse(args);
  if (positionals[0] !== 'status') {
    process.stderr.write('warren mesh: the one subcommand is status (see warren mesh --help)\n');
    return 2;
  }
  const target = resolveTarget(values);
  if ('error' in target) {
    process.stderr.write(`warren mesh status: ${target.error}\n`);
    return 2;
  }
  const { base, token } = target;
  let res: Response;
  try {
    res = await fetch(`${base}/_node/members`, {
      headers: { authorization: `Bearer ${token}` },
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
    options: {
      node: { type: 'string' },
      data: { type: 'string' },
      'credential-file': { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
}

/** The node to ask and the credential (or command token) to show it, from the flags. */
export function resolveTarget(values: {
  node?: string;
  data?: string;
  'credential-file'?: string;
  token?: string;
}): Target {
  const node = values.node && trimSlashes(values.node);
  const given = [values.data, values['credential-file'], values.token].filter((v) => v !== undefined);
  if (given.length === 0) {
    // The defaults of `warren node join` (.warren/node) and `warren up` (.warren), run from this directory.
    const local = [DEFAULT_NODE_DATA, DEFAULT_UP_DATA].find(
      (d) => existsSync(join(d, ADMIN_CREDENTIAL_FILE)) || existsSync(join(d, UP_FILE)),
    );
    if (local === undefined) return { error: NO_PROOF };
    return resolveTarget({ ...values, data: local });
  }
  if (given.length > 1) return { error: 'pass only one of --data, --credential-file and --token' };
  if (values.token !== undefined) return { base: node ?? DEFAULT_NODE, token: values.token };
  if (values['credential-file'] !== undefined) {
    return withCredential(node ?? DEFAULT_NODE, values['credential-file']);
  }
  const data = values.data as string;
  if (existsSync(join(data, ADMIN_CREDENTIAL_FILE))) {
    return withCredential(node ?? DEFAULT_NODE, join(data, ADMIN_CREDENTIAL_FILE));
  }
  if (!existsSync(join(data, UP_FILE))) {
    return {
      error: `${data} holds neither ${ADMIN_CREDENTIAL_FILE} (a node's data dir) nor ${UP_FILE} (warren up's)`,
    };
  }
  let up: UpFile;
  try {
    up = JSON.parse(readFileSync(join(data, UP_FILE), 'utf8')) as UpFile;
  } catch (e) {
    return { error: `cannot read ${join(data, UP_FILE)}: ${(e as Error).message}` };
  }
  const at = node ? up.nodes.find((n) => trimSlashes(n.url) === node) : up.nodes[0];
  if (!at) {
    const known = up.nodes.map((n) => n.url).join(', ') || 'none';
    return { error: `${join(data, UP_FILE)} lists no node at ${node ?? 'any URL'} (it lists: ${known})` };
  }
  return withCredential(trimSlashes(at.url), join(upNodeDataDir(data, at.id), ADMIN_CREDENTIAL_FILE));
}

/** A `warren up` node's own data dir: the local provider's `<data>/nodes/<nodeId>/`, whose `node/` it runs in. */
function upNodeDataDir(upDataDir: string, nodeId: string): string {
  return join(upDataDir, 'nodes', nodeId, 'node');
}

function withCredential(base: string, file: string): Target {
  try {
    const token = readFileSync(file, 'utf8').trim();
    return token ? { base, token } : { error: `${file} is empty` };
  } catch (e) {
    return { error: `cannot read the node's admin credential: ${(e as Error).message}` };
  }
}

function trimSlashes(url: string): string {
  return url.replace(/\/+$/, '');
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
  const unsynced = s.registry.synced === false ? ', not in sync yet' : '';
  lines.push(
    '',
    `registry ${Object.entries(e)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}, ${s.registry.tombstones} tombstones${unsynced}`,
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
