// The inline Pulumi program of one Hetzner node: SSH key, firewall, server with cloud-init, labels, placement.
import * as hcloud from '@pulumi/hcloud';
import * as pulumi from '@pulumi/pulumi';

/** Inputs of one node's stack. `userData` already holds only one-use values (cloud-init.ts checks). */
export interface HetznerNodeSpec {
  nodeId: string;
  projectId?: string;
  /** Hetzner location, e.g. `fsn1`. */
  location: string;
  /** Server type, e.g. `cx22`. */
  serverType: string;
  /** OS image, e.g. `debian-12`. */
  image: string;
  /** Public key for root; without one Hetzner e-mails a root password, and SSH stays closed anyway. */
  sshPublicKey?: string;
  /** CIDRs SSH is open to. Empty (the default) closes port 22: nodes are managed through Warren and the tailnet. */
  sshSourceIps: string[];
  /** An existing spread placement group to put the server in (keeps a project's nodes on different hosts). */
  placementGroupId?: number;
  userData: string;
}

/** The UDP port tailscaled listens on for direct WireGuard paths; without it traffic relays over DERP. */
export const TAILSCALE_UDP_PORT = '41641';

const ANYWHERE = ['0.0.0.0/0', '::/0'];

/** Labels on every resource of a node, so `list` and people in the Hetzner console can tell Warren's. */
export function nodeLabels(spec: Pick<HetznerNodeSpec, 'nodeId' | 'projectId'>): Record<string, string> {
  return {
    'warren-managed': 'true',
    'warren-node-id': spec.nodeId,
    ...(spec.projectId ? { 'warren-project': spec.projectId } : {}),
  };
}

/**
 * Firewall rules a node needs: inbound tailscale UDP and ICMP (path MTU discovery, ping), SSH only from the
 * configured sources. Nothing else: Warren's own ports (mesh, proxy) are reached over the tailnet, inside
 * WireGuard, which a Hetzner firewall does not see. Outbound stays open (Hetzner's default) for installs.
 */
export function nodeFirewallRules(sshSourceIps: string[]): hcloud.types.input.FirewallRule[] {
  const rules: hcloud.types.input.FirewallRule[] = [
    {
      direction: 'in',
      protocol: 'udp',
      port: TAILSCALE_UDP_PORT,
      sourceIps: ANYWHERE,
      description: 'tailscale',
    },
    { direction: 'in', protocol: 'icmp', sourceIps: ANYWHERE, description: 'icmp' },
  ];
  if (sshSourceIps.length > 0) {
    rules.push({ direction: 'in', protocol: 'tcp', port: '22', sourceIps: sshSourceIps, description: 'ssh' });
  }
  return rules;
}

/** The Pulumi program for one node; its outputs are the server's id and addresses. */
export function hetznerNodeProgram(spec: HetznerNodeSpec) {
  return async () => {
    const labels = nodeLabels(spec);
    const sshKey = spec.sshPublicKey
      ? new hcloud.SshKey(`${spec.nodeId}-ssh`, {
          name: `warren-${spec.nodeId}`,
          publicKey: spec.sshPublicKey,
          labels,
        })
      : undefined;
    const firewall = new hcloud.Firewall(`${spec.nodeId}-fw`, {
      name: `warren-${spec.nodeId}`,
      labels,
      rules: nodeFirewallRules(spec.sshSourceIps),
    });
    const server = new hcloud.Server(spec.nodeId, {
      name: spec.nodeId,
      serverType: spec.serverType,
      image: spec.image,
      location: spec.location,
      labels,
      sshKeys: sshKey ? [sshKey.id] : [],
      firewallIds: [firewall.id.apply(Number)],
      ...(spec.placementGroupId !== undefined ? { placementGroupId: spec.placementGroupId } : {}),
      publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
      // Secret in Pulumi state: the values are one-use, but state outlives their use.
      userData: pulumi.secret(spec.userData),
    });
    return {
      serverId: server.id,
      ipv4: server.ipv4Address,
      ipv6: server.ipv6Address,
      firewallId: firewall.id,
    };
  };
}
