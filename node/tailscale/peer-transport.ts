// The mesh transport under `--network tailscale`: every message's sender must be the tailnet device its certificate names.
import { decodeJwt } from 'jose';
import * as v from 'valibot';
import {
  CONTROL_ORIGIN,
  MemberEntryValue,
  NodeCertificateClaims,
  type RegistryEntry,
} from '../../contract/index.ts';
import { type OriginTrust, type Transport, TransportError } from '../../mesh/index.ts';
import type { LocalApiClient } from './local-api-client.ts';
import { LocalApiError } from './local-api-error.ts';
import type { MeshPeerCertificate, PeerRejection } from './peer-check.ts';
import { createPeerCheckCache, type PeerCheckCache } from './peer-check-cache.ts';

/**
 * Why the check sits here, on the transport, and not in the registry's OriginTrust: a trust wrapper only
 * sees a certificate, never who delivered it, so whois of the certificate's own address would accept a
 * node-A key and certificate replayed from device B. Entries are signed, so relaying other origins' entries
 * is harmless; what a stolen identity buys is *speaking as* node N — SWIM claims (alive/suspect/dead, acks),
 * sync answers, entries first learned from it. So every datagram and request (and every response to our
 * own requests) names its sender in `from`, and is handed to the mesh only when whois(source address)
 * is the device N's certificate names (checkMeshPeer: address, key expiry, node tag). WireGuard
 * authenticates source addresses on the tailnet, so the source cannot be forged.
 *
 * N's certificate comes from its member entry in the registry (already verified by the mesh's trust), and
 * from a member entry of N the message itself carries (a joiner's sync-push, or a renewal after N's tailnet
 * IP changed), verified here against the control keys; any control-signed certificate of N that matches
 * whois(source) will do, since each binds N to its own device. Two senders have no certificate:
 * - a stranger's first `sync` request (how a node joins): passed on only when whois(source) is a tailnet
 *   device, and with its member list emptied, so nothing it claims is applied before its sync-push shows a
 *   certificate that matches;
 * - the control plane (`from: control`) has no node certificate; its entries are signed by the control
 *   keys, and its messages are accepted from any tailnet device (a limit: its SWIM claims are not bound).
 */
export interface TailnetPeerTransportOptions {
  inner: Transport;
  client: LocalApiClient;
  /** Verifies a member entry's certificate (the mesh's CertificateTrust). */
  trust: OriginTrust;
  /** The registry's member entries (verified); read on each message, so late-bound to the mesh. */
  memberEntries: () => readonly RegistryEntry[];
  /** Called for each dropped message, with a stable reason for metrics. */
  onReject: (reason: TailnetRejection, detail: string) => void;
  /** Defaults to a 60 s cache of accepted peers over `client`. */
  cache?: PeerCheckCache;
}

/** Why a message was dropped: a whois mismatch, or no way to tell who sent it. */
export type TailnetRejection = PeerRejection | 'unknown_sender' | 'whois_failed';

/** Every TailnetRejection, for a /metrics counter with all labels present. */
export const TAILNET_REJECTIONS: readonly TailnetRejection[] = [
  'tailnet_peer_unknown',
  'tailnet_key_expired',
  'address_mismatch',
  'node_mismatch',
  'untagged_node',
  'unknown_sender',
  'whois_failed',
];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Wraps the mesh transport; the direct network never builds one. */
export function createTailnetPeerTransport(o: TailnetPeerTransportOptions): Transport {
  const cache = o.cache ?? createPeerCheckCache(o.client);

  /** Answers the bytes to hand to the mesh, or undefined when the message is dropped. */
  const admit = async (source: string, payload: Uint8Array): Promise<Uint8Array | undefined> => {
    let msg: Record<string, unknown>;
    try {
      const raw: unknown = JSON.parse(decoder.decode(payload));
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not an object');
      msg = raw as Record<string, unknown>;
    } catch {
      o.onReject('unknown_sender', `${source}: not a mesh message`);
      return undefined;
    }
    const from = msg.from;
    if (typeof from !== 'string') {
      o.onReject('unknown_sender', `${source}: a message without a sender`);
      return undefined;
    }
    const certificates = from === CONTROL_ORIGIN ? [] : await certificatesOf(from, carriedEntries(msg));
    if (certificates.length === 0) {
      const stranger = from === CONTROL_ORIGIN || msg.type === 'sync';
      if (!stranger) {
        o.onReject('unknown_sender', `${source} speaks as ${from}, whose certificate is not known`);
        return undefined;
      }
      try {
        await o.client.whois(source);
      } catch (e) {
        const unknown = e instanceof LocalApiError && e.code === 'tailnet_peer_unknown';
        o.onReject(
          unknown ? 'tailnet_peer_unknown' : 'whois_failed',
          `${source} (as ${from}): ${(e as Error).message}`,
        );
        return undefined;
      }
      if (from === CONTROL_ORIGIN) return payload;
      return encoder.encode(JSON.stringify({ ...msg, members: [] }));
    }
    // The held certificate first; a carried newer one counts too (a node whose tailnet IP changed renews it).
    let first: { reason: TailnetRejection; message: string } | undefined;
    for (const certificate of certificates) {
      try {
        const check = await cache.check(source, certificate);
        if (check.ok) return payload;
        first ??= { reason: check.reason, message: check.message };
      } catch (e) {
        first ??= { reason: 'whois_failed', message: (e as Error).message };
      }
    }
    if (first) o.onReject(first.reason, `${source} speaks as ${from}: ${first.message}`);
    return undefined;
  };

  /** N's control-signed certificates: the registry's (verified by the mesh), then at most two the message carries. */
  const certificatesOf = async (
    nodeId: string,
    carried: readonly unknown[],
  ): Promise<MeshPeerCertificate[]> => {
    const raw: string[] = [];
    const held = o.memberEntries().find((e) => e.origin === nodeId && !e.deleted);
    const fromRegistry = held ? memberCertificate(held) : undefined;
    if (fromRegistry) raw.push(fromRegistry);
    let extra = 0;
    for (const e of carried) {
      const entry = e as Partial<RegistryEntry> | null;
      if (entry?.kind !== 'member' || entry.origin !== nodeId || entry.deleted) continue;
      const cert = memberCertificate(entry);
      if (!cert || raw.includes(cert)) continue;
      raw.push(cert);
      if (++extra >= 2) break;
    }
    const out: MeshPeerCertificate[] = [];
    for (const cert of raw) {
      const claims = await verifiedClaims(nodeId, cert);
      if (claims) out.push(claims);
    }
    return out;
  };

  const verifiedClaims = async (nodeId: string, cert: string): Promise<MeshPeerCertificate | undefined> => {
    const r = await o.trust.keyFor(nodeId, cert);
    if (!r.ok) return undefined;
    let payload: unknown;
    try {
      payload = decodeJwt(cert);
    } catch {
      return undefined;
    }
    const c = v.safeParse(NodeCertificateClaims, payload);
    if (!c.success || c.output.sub !== nodeId) return undefined;
    return { sub: c.output.sub, addr: c.output.addr, ...(c.output.laptop ? { laptop: true } : {}) };
  };

  const { inner } = o;
  return {
    get address() {
      return inner.address;
    },
    send: (to, payload) => inner.send(to, payload),
    async request(to, payload, timeoutMs) {
      const reply = await inner.request(to, payload, timeoutMs);
      const admitted = await admit(to, reply);
      if (!admitted)
        throw new TransportError('remote-error', `${to}: the answer's sender failed the tailnet check`);
      return admitted;
    },
    onPacket(handler) {
      inner.onPacket((from, payload) => {
        void admit(from, payload).then((ok) => {
          if (ok) handler(from, ok);
        });
      });
    },
    onRequest(handler) {
      inner.onRequest(async (from, payload) => {
        const ok = await admit(from, payload);
        if (!ok) throw new TransportError('remote-error', 'the sender failed the tailnet check');
        return handler(from, ok);
      });
    },
    close: () => inner.close(),
  };
}

/** Entries a message carries: a sync's `entries` or a packet's piggybacked `e`. */
function carriedEntries(msg: Record<string, unknown>): readonly unknown[] {
  const list = msg.entries ?? msg.e;
  return Array.isArray(list) ? list : [];
}

function memberCertificate(entry: Partial<RegistryEntry>): string | undefined {
  const value = v.safeParse(MemberEntryValue, entry.value);
  return value.success ? value.output.certificate : undefined;
}
