// Caches accepted mesh peers for a short while, so the mesh does not ask tailscaled about every packet.
import type { LocalApiClient } from './local-api-client.ts';
import {
  checkMeshPeer,
  type MeshPeerCertificate,
  type PeerCheck,
  type PeerCheckConfig,
} from './peer-check.ts';

export interface PeerCheckCacheConfig {
  /** How long an accepted peer stays accepted without a new whois. Default 60 s: a device removed from the tailnet loses its WireGuard session within that too. */
  ttlMs: number;
  /** Entries kept at most (oldest dropped first). Default 4096: several per mesh member. */
  maxEntries: number;
  peer?: PeerCheckConfig;
}

export function defaultPeerCheckCacheConfig(): PeerCheckCacheConfig {
  return { ttlMs: 60_000, maxEntries: 4096 };
}

export interface PeerCheckCache {
  /** checkMeshPeer, answered from the cache when this source IP presented this certificate recently. */
  check(sourceAddr: string, certificate: MeshPeerCertificate): Promise<PeerCheck>;
}

/** Rejections are never cached: a peer that was wrong a moment ago is asked about again. */
export function createPeerCheckCache(
  client: LocalApiClient,
  config: PeerCheckCacheConfig = defaultPeerCheckCacheConfig(),
  clock: { now(): number } = { now: () => Date.now() },
): PeerCheckCache {
  const accepted = new Map<string, { until: number; result: PeerCheck }>();
  return {
    async check(sourceAddr, certificate) {
      const ip = sourceIp(sourceAddr);
      const key = [
        ip,
        certificate.sub,
        certificate.addr,
        certificate.tailnetNodeId ?? '',
        certificate.laptop ? 1 : 0,
      ].join('|');
      const hit = accepted.get(key);
      if (hit && hit.until > clock.now()) return hit.result;
      accepted.delete(key);
      const result = await checkMeshPeer(client, sourceAddr, certificate, config.peer);
      if (result.ok) {
        if (accepted.size >= config.maxEntries) {
          const oldest = accepted.keys().next().value;
          if (oldest !== undefined) accepted.delete(oldest);
        }
        accepted.set(key, { until: clock.now() + config.ttlMs, result });
      }
      return result;
    },
  };
}

/** The IP of `ip:port`, `[v6]:port` or a bare IP: the port differs per connection, the identity does not. */
function sourceIp(addr: string): string {
  if (addr.startsWith('[')) return addr.slice(1, addr.indexOf(']'));
  const parts = addr.split(':');
  return parts.length === 2 ? (parts[0] ?? addr) : addr;
}
