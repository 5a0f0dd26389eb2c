// Network namespaces on one bridge, for the mesh tests and benchmarks: members with their own addresses, iptables
// rules per member, and commands run inside a member's namespace. Needs root and `ip netns`.

/** Whether namespaces can be made here (root and iproute2). */
export const netnsAvailable = (): boolean =>
  Bun.spawnSync(['ip', 'netns', 'list']).exitCode === 0 && process.getuid?.() === 0;

/** Runs a command; throws with its stderr when it fails. */
export function sh(args: string[]): void {
  const r = Bun.spawnSync(args, { stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`${args.join(' ')}: ${r.stderr.toString()}`);
}

/** Members on one bridge in namespaces of their own, each with the address `<subnet>.<host number>`. */
export interface NetnsTopology<Name extends string> {
  /** The namespace of a member. */
  ns(n: Name): string;
  ip(n: Name): string;
  /** `['ip', 'netns', 'exec', ns]`: prefix a command to run it inside the member's namespace. */
  wrap(n: Name): string[];
  /** Adds an iptables rule (or runs `-F`) inside the member's namespace. */
  iptables(n: Name, ...rule: string[]): void;
  /** Deletes every namespace of the topology (also those a crashed earlier run left). */
  tearDown(): void;
}

/**
 * Creates the namespaces: `prefix` keeps them apart from other runs (e.g. built from the pid), `subnet` is a /24
 * of ours (`10.200.x`), `members` maps each name to its host number.
 */
export function createNetnsTopology<Name extends string>(
  prefix: string,
  subnet: string,
  members: Record<Name, number>,
): NetnsTopology<Name> {
  const names = Object.keys(members) as Name[];
  const hub = `${prefix}hub`;
  const ns = (n: Name) => `${prefix}${n}`;
  const ip = (n: Name) => `${subnet}.${members[n]}`;
  const topology: NetnsTopology<Name> = {
    ns,
    ip,
    wrap: (n) => ['ip', 'netns', 'exec', ns(n)],
    iptables: (n, ...rule) => sh(['ip', 'netns', 'exec', ns(n), 'iptables', ...rule]),
    tearDown() {
      for (const n of [...names.map(ns), hub]) Bun.spawnSync(['ip', 'netns', 'del', n], { stderr: 'ignore' });
    },
  };
  topology.tearDown();
  sh(['ip', 'netns', 'add', hub]);
  sh(['ip', '-n', hub, 'link', 'add', 'br0', 'type', 'bridge']);
  sh(['ip', '-n', hub, 'link', 'set', 'br0', 'up']);
  for (const n of names) {
    sh(['ip', 'netns', 'add', ns(n)]);
    sh(['ip', 'link', 'add', `${prefix}${n}h`, 'type', 'veth', 'peer', 'name', `${prefix}${n}n`]);
    sh(['ip', 'link', 'set', `${prefix}${n}h`, 'netns', hub]);
    sh(['ip', 'link', 'set', `${prefix}${n}n`, 'netns', ns(n)]);
    sh(['ip', '-n', hub, 'link', 'set', `${prefix}${n}h`, 'master', 'br0', 'up']);
    sh(['ip', '-n', ns(n), 'link', 'set', `${prefix}${n}n`, 'name', 'eth0']);
    sh(['ip', '-n', ns(n), 'addr', 'add', `${ip(n)}/24`, 'dev', 'eth0']);
    sh(['ip', '-n', ns(n), 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', ns(n), 'link', 'set', 'lo', 'up']);
  }
  return topology;
}

/** One HTTP request made with curl from inside a namespace (our own process is in the root namespace). */
export async function curlIn(
  wrap: string[],
  url: string,
  o: { method?: string; token?: string; body?: unknown; maxTimeSec?: number } = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const args = [
    ...wrap,
    'curl',
    '-s',
    '-i',
    '--max-time',
    String(o.maxTimeSec ?? 5),
    '-X',
    o.method ?? 'GET',
  ];
  if (o.token) args.push('-H', `authorization: Bearer ${o.token}`);
  if (o.body !== undefined)
    args.push('-H', 'content-type: application/json', '--data', JSON.stringify(o.body));
  args.push(url);
  const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'ignore' });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const split = out.indexOf('\r\n\r\n');
  if (split < 0) return { status: 0, headers: {}, body: out };
  const [statusLine, ...lines] = out.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, body: out.slice(split + 4) };
}
