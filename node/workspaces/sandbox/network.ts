// A network namespace per sandboxed workspace: a veth pair, an address block, NAT out, and no way back in.
import { existsSync, writeFileSync } from 'node:fs';
import { mustRunHost, runHost, SandboxError } from './host-command.ts';

/** Where one slot's workspace lives on the network. */
export interface SlotNetwork {
  /** `ip netns` name, also the prefix of its veth names (host side `<name>h`). */
  netns: string;
  hostVeth: string;
  /** The host's end of the pair (the workspace's default gateway). */
  gateway: string;
  /** The workspace's address: what the proxy connects to. */
  address: string;
}

/** Chains every node on the machine shares; a workspace's rules name its own veth, so they never overlap. */
export const CHAINS = {
  input: 'WARREN-INPUT',
  forward: 'WARREN-FORWARD',
  nat: 'WARREN-POSTROUTING',
} as const;

/** Parses `a.b.c.d/n` into its first address (as a number) and the number of /30 blocks it holds. */
export function parseSubnet(cidr: string): { base: number; blocks: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || bits < 8 || bits > 30)
    throw new SandboxError(
      'unsupported',
      `workspace subnet "${cidr}" must be an IPv4 a.b.c.d/n with 8 ≤ n ≤ 30`,
    );
  const raw = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  return { base: raw - (raw % size), blocks: size / 4 };
}

function ipOf(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** The names and addresses of `slot` in `subnet` (a /30 each: gateway .1, workspace .2). */
export function slotNetwork(subnet: string, slot: number): SlotNetwork {
  const { base, blocks } = parseSubnet(subnet);
  if (slot >= blocks) throw new SandboxError('no_free_slot', `slot ${slot} is outside ${subnet}`);
  const netns = `wrn${slot}`;
  return {
    netns,
    hostVeth: `${netns}h`,
    gateway: ipOf(base + slot * 4 + 1),
    address: ipOf(base + slot * 4 + 2),
  };
}

/**
 * The shared chains and the jumps into them (idempotent), and forwarding on. Runs once per node start.
 * `-w`: wait for the xtables lock instead of failing when another node edits rules at the same moment.
 */
export async function ensureChains(): Promise<void> {
  for (const [table, chain, parent] of [
    ['filter', CHAINS.input, 'INPUT'],
    ['filter', CHAINS.forward, 'FORWARD'],
    ['nat', CHAINS.nat, 'POSTROUTING'],
  ] as const) {
    await runHost(['iptables', '-w', '-t', table, '-N', chain]); // exists already: fine
    if ((await runHost(['iptables', '-w', '-t', table, '-C', parent, '-j', chain])).code !== 0)
      await mustRunHost(['iptables', '-w', '-t', table, '-I', parent, '1', '-j', chain]);
  }
  // NAT out needs forwarding between interfaces; the FORWARD rules decide what may pass.
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1\n');
}

/** The iptables rules of one workspace, as `iptables-restore` lines without the leading `-A`/`-D`. */
export function workspaceRules(
  n: SlotNetwork,
  subnet: string,
  denied: string[],
): { filter: string[]; nat: string[] } {
  const h = n.hostVeth;
  return {
    filter: [
      // To the host itself (the node's listeners on any address, its other services): only replies.
      `${CHAINS.input} -i ${h} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      `${CHAINS.input} -i ${h} -j DROP`,
      // Through the host: never to other workspaces or the denied ranges (metadata, tailnet); the rest NATs out.
      `${CHAINS.forward} -i ${h} -d ${subnet} -j DROP`,
      ...denied.map((d) => `${CHAINS.forward} -i ${h} -d ${d} -j DROP`),
      `${CHAINS.forward} -i ${h} -j ACCEPT`,
      // Into the workspace: only replies to what it opened (the node reaches it from the host, not through here).
      `${CHAINS.forward} -o ${h} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      `${CHAINS.forward} -o ${h} -j DROP`,
    ],
    nat: [`${CHAINS.nat} -s ${n.address}/32 ! -o ${h} -j MASQUERADE`],
  };
}

function restoreInput(op: '-A' | '-D', rules: { filter: string[]; nat: string[] }): string {
  const lines = ['*filter', ...rules.filter.map((r) => `${op} ${r}`), 'COMMIT', '*nat'];
  return [...lines, ...rules.nat.map((r) => `${op} ${r}`), 'COMMIT', ''].join('\n');
}

/** Creates the namespace, the veth pair, addresses, routes and rules of a slot. */
export async function createNetwork(n: SlotNetwork, subnet: string, denied: string[]): Promise<void> {
  await mustRunHost(['ip', 'netns', 'add', n.netns]);
  const peer = `${n.netns}p`;
  await mustRunHost(
    ['ip', '-batch', '-'],
    [
      `link add ${n.hostVeth} type veth peer name ${peer}`,
      `link set ${peer} netns ${n.netns}`,
      `addr add ${n.gateway}/30 dev ${n.hostVeth}`,
      `link set ${n.hostVeth} up`,
      '',
    ].join('\n'),
  );
  // No IPv6 on the pair: the host's link-local address would be a way around the IPv4 rules.
  writeFileSync(`/proc/sys/net/ipv6/conf/${n.hostVeth}/disable_ipv6`, '1\n');
  await mustRunHost(
    ['ip', '-n', n.netns, '-batch', '-'],
    [
      `link set ${peer} name eth0`,
      `addr add ${n.address}/30 dev eth0`,
      'link set eth0 up',
      'link set lo up',
      `route add default via ${n.gateway}`,
      '',
    ].join('\n'),
  );
  // Inside the namespace: most dev servers listen on 127.0.0.1, so TCP arriving on eth0 is sent to loopback
  // (route_localnet lets a DNAT to 127/8 through). The namespace's own rules; the workspace has no
  // capability in this network namespace to change them.
  await mustRunHost([
    'nsenter',
    `--net=/run/netns/${n.netns}`,
    'sh',
    '-c',
    'set -e; for k in all/route_localnet eth0/route_localnet; do echo 1 > /proc/sys/net/ipv4/conf/$k; done; ' +
      'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; ' +
      'iptables -w -t nat -A PREROUTING -i eth0 -p tcp -j DNAT --to-destination 127.0.0.1',
  ]);
  await mustRunHost(
    ['iptables-restore', '-w', '--noflush'],
    restoreInput('-A', workspaceRules(n, subnet, denied)),
  );
}

/** Removes the slot's rules and namespace (its veth pair goes with it); what is already gone is skipped. */
export async function destroyNetwork(n: SlotNetwork, subnet: string, denied: string[]): Promise<void> {
  // All rules of a workspace are added in one restore, so they are all there or none is.
  await runHost(
    ['iptables-restore', '-w', '--noflush'],
    restoreInput('-D', workspaceRules(n, subnet, denied)),
  );
  if (existsSync(`/run/netns/${n.netns}`)) await mustRunHost(['ip', 'netns', 'del', n.netns]);
  // A veth whose namespace vanished in a crash before the move is still on the host.
  if (existsSync(`/sys/class/net/${n.hostVeth}`)) await runHost(['ip', 'link', 'del', n.hostVeth]);
}
