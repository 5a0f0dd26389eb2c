// The mesh peer check under `--network tailscale`: a peer's tailnet identity (whois) must match its certificate.
import type { NodeCertificateClaims } from '../../contract/index.ts';
import type { LocalApiClient, TailnetIdentity } from './local-api-client.ts';
import { LocalApiError } from './local-api-error.ts';

/**
 * The matching rule. A node certificate names the node (`sub`) and the address it advertises (`addr`, its
 * Tailscale IP: the control plane signs what the node reported from its own LocalAPI status). A mesh peer
 * that presents that certificate from tailnet address S is accepted only when, for whois(S):
 *   1. S belongs to a tailnet node at all (WireGuard authenticates source IPs on the tailnet, so whois(S)
 *      says which device really sent the packet);
 *   2. that node's key has not expired;
 *   3. the certificate's advertised host is one of that node's Tailscale IPs — so a node holding a valid
 *      certificate of node A cannot use it from device B;
 *   4. when the certificate carries the tailnet stable node ID (`tailnetNodeId`), it equals the device's
 *      StableID — stronger than the IP, which tailnet admins can reassign;
 *   5. a server node (not `laptop`) carries the Warren node tag: it joined with the tagged one-use auth key
 *      the control plane minted. A laptop is its owner's device, joined interactively, so it carries no tag.
 * Ports are not compared: the mesh and the proxy listen on different ports of the same address.
 */
export interface MeshPeerCertificate {
  sub: NodeCertificateClaims['sub'];
  addr: NodeCertificateClaims['addr'];
  laptop?: NodeCertificateClaims['laptop'];
  /** The tailnet StableID the node reported at join, when the certificate carries one. */
  tailnetNodeId?: string;
}

export interface PeerCheckConfig {
  /** ACL tag server nodes must carry. Default `tag:warren-node`, the tag the control plane puts on auth keys. */
  nodeTag: string;
}

export function defaultPeerCheckConfig(): PeerCheckConfig {
  return { nodeTag: 'tag:warren-node' };
}

/** Why a peer was rejected; stable for metrics and logs. */
export type PeerRejection =
  | 'tailnet_peer_unknown'
  | 'tailnet_key_expired'
  | 'address_mismatch'
  | 'node_mismatch'
  | 'untagged_node';

export type PeerCheck =
  | { ok: true; identity: TailnetIdentity }
  | { ok: false; reason: PeerRejection; message: string };

/** Applies the matching rule to an identity already looked up with whois. Pure. */
export function verifyMeshPeer(input: {
  whois: TailnetIdentity;
  certificate: MeshPeerCertificate;
  config?: PeerCheckConfig;
}): PeerCheck {
  const { whois, certificate } = input;
  const config = input.config ?? defaultPeerCheckConfig();
  const who = `${certificate.sub} (tailnet ${whois.dnsName || whois.stableId})`;
  if (whois.expired) {
    return { ok: false, reason: 'tailnet_key_expired', message: `${who}: the tailnet node key has expired` };
  }
  const host = hostOf(certificate.addr);
  if (host === undefined || !whois.ips.includes(host)) {
    return {
      ok: false,
      reason: 'address_mismatch',
      message: `${who}: the certificate names address ${host ?? certificate.addr}, which is not this tailnet node's`,
    };
  }
  if (certificate.tailnetNodeId !== undefined && certificate.tailnetNodeId !== whois.stableId) {
    return {
      ok: false,
      reason: 'node_mismatch',
      message: `${who}: the certificate names tailnet node ${certificate.tailnetNodeId}, the connection comes from ${whois.stableId}`,
    };
  }
  if (!certificate.laptop && !whois.tags.includes(config.nodeTag)) {
    return {
      ok: false,
      reason: 'untagged_node',
      message: `${who}: a server node must carry ${config.nodeTag} on the tailnet`,
    };
  }
  return { ok: true, identity: whois };
}

/** Looks up `sourceAddr` (the peer connection's `ip:port`) with whois and applies verifyMeshPeer. */
export async function checkMeshPeer(
  client: LocalApiClient,
  sourceAddr: string,
  certificate: MeshPeerCertificate,
  config?: PeerCheckConfig,
): Promise<PeerCheck> {
  let whois: TailnetIdentity;
  try {
    whois = await client.whois(sourceAddr);
  } catch (error) {
    if (error instanceof LocalApiError && error.code === 'tailnet_peer_unknown') {
      return { ok: false, reason: 'tailnet_peer_unknown', message: error.message };
    }
    throw error;
  }
  return verifyMeshPeer({ whois, certificate, ...(config ? { config } : {}) });
}

/** The host of an advertised address: `http://100.64.0.7:7420`, `100.64.0.7:7420`, `[fd7a::1]:7420` or a bare IP. */
export function hostOf(addr: string): string | undefined {
  if (!addr.includes('://') && !addr.includes('[') && addr.split(':').length > 2) return addr; // bare IPv6
  try {
    const url = new URL(addr.includes('://') ? addr : `http://${addr}`);
    const h = url.hostname;
    return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h || undefined;
  } catch {
    return undefined;
  }
}
