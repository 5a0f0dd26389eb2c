// mesh/: SWIM membership, signed registry gossip and routing — the public API for node/ and control/.
export type { Clock, Timer } from './clock.ts';
export { systemClock } from './clock.ts';
export {
  defaultMeshConfig,
  localMeshConfig,
  type MeshConfig,
  pushPullIntervalMs,
  retransmitLimit,
  suspicionMinMs,
} from './config.ts';
export type { Member, MemberChange, MemberSeed } from './membership/member.ts';
export {
  createMeshMetrics,
  ENTRY_DROP_REASONS,
  type EntryDropReason,
  MESSAGE_DROP_REASONS,
  type MeshMetrics,
  type MessageDropReason,
} from './metrics.ts';
export {
  createMeshNode,
  type MemberView,
  type MeshEvent,
  type MeshIdentity,
  type MeshNode,
  type MeshNodeOptions,
  type MeshStatus,
} from './node.ts';
export { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './protocol.ts';
export { createSeededRandom, type Random, systemRandom } from './random.ts';
export { MeshError } from './registry/replica.ts';
export { canonicalJson, signEntry, verifyEntry } from './registry/signature.ts';
export {
  CertificateTrust,
  type CertificateTrustOptions,
  type KeyResult,
  type OriginTrust,
} from './registry/trust.ts';
export { entryKey, WRITABLE_KINDS } from './registry/validation.ts';
export { type HostView, type Route, routeWorkspace, type WorkspaceClaim } from './routing.ts';
export { createUdpTransport, type UdpTransport, type UdpTransportOptions } from './transport/udp.ts';
export { type PacketHandler, type RequestHandler, type Transport, TransportError } from './transport.ts';
