// What a node started with `--network tailscale` advertises for the mesh and the proxy, from its LocalAPI status.
import type { LocalApiClient } from './local-api-client.ts';
import { LocalApiError } from './local-api-error.ts';

/** The node's tailnet identity as it reports it at join (and the control plane puts in its certificate). */
export interface TailnetAdvertisement {
  /** `http://<first Tailscale IPv4>:<port>`: the certificate's `addr`; peers check it against whois. */
  address: string;
  /** The tailnet IP (host part of `address`). */
  ip: string;
  /** MagicDNS name without the trailing dot. */
  dnsName: string;
  /** Tailnet StableID; the certificate may carry it as the stronger binding (peer-check.ts rule 4). */
  stableId: string;
}

/** Reads status and builds the advertisement for the node's HTTP port. IPv6-only tailnet IPs are bracketed. */
export async function tailnetAdvertisement(
  client: LocalApiClient,
  port: number,
): Promise<TailnetAdvertisement> {
  const self = await client.status();
  const ip = self.ips[0];
  if (!ip) throw new LocalApiError('tailnet_not_running', 'this node has no Tailscale IP yet');
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return { address: `http://${host}:${port}`, ip, dnsName: self.dnsName, stableId: self.stableId };
}
