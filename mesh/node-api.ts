// The public face of a mesh node: its options, identity, events and methods (implemented in node.ts).
import type { Digest, EntryKind, MemberState, RegistryEntry } from '../contract/index.ts';
import type { Clock } from './clock.ts';
import type { MeshConfig } from './config.ts';
import type { Member, MemberSeed } from './membership/member.ts';
import type { MeshMetrics } from './metrics.ts';
import type { Random } from './random.ts';
import type { PrivateKeyInput } from './registry/signature.ts';
import type { OriginTrust } from './registry/trust.ts';
import type { Route } from './routing.ts';
import type { Transport } from './transport.ts';

/** Who this node is in the mesh. */
export interface MeshIdentity {
  /** Origin name: the node id, or `control` for the control plane. */
  origin: string;
  /** Ed25519 key that signs this origin's entries. */
  privateKey: PrivateKeyInput;
  /** The node certificate (JWT) vouching for the key; also published in the member entry. */
  certificate?: string;
}

/** Inputs of createMeshNode. */
export interface MeshNodeOptions {
  transport: Transport;
  identity: MeshIdentity;
  trust: OriginTrust;
  config?: MeshConfig;
  clock?: Clock;
  random?: Random;
  /** Starting incarnation; default: the clock in seconds, above any incarnation of a previous life. */
  incarnation?: number;
  /** Members known up front (e.g. from the join response); probed like any other. */
  initialMembers?: MemberSeed[];
  /** Simulator only: a frozen member table shared by many nodes, copied on write. */
  sharedMembers?: ReadonlyMap<string, Readonly<Member>>;
}

/** A member as callers see it. */
export interface MemberView {
  id: string;
  addr: string;
  incarnation: number;
  state: MemberState;
  since: number;
}

/** A JSON-safe picture of one node's mesh, for `/_node/members`, `/_node/registry` and `warren mesh status`. */
export interface MeshStatus {
  id: string;
  address: string;
  protocolVersion: number;
  incarnation: number;
  /** Lifeguard local health: 0 is healthy; higher means this node slows its probes down. */
  awareness: number;
  members: MemberView[];
  /** Member count per state. */
  memberStates: Record<MemberState, number>;
  registry: {
    digest: Digest;
    /** Live entries per kind (tombstones excluded). */
    entries: Record<EntryKind, number>;
    tombstones: number;
    /** Whether a push-pull has brought in all a live peer held (see MeshNode.syncedAt). */
    synced: boolean;
  };
  metrics: MeshMetrics;
}

/** What subscribers hear. */
export type MeshEvent =
  | { type: 'entry'; entry: RegistryEntry; previous: RegistryEntry | undefined }
  | { type: 'member'; member: MemberView; previous: MemberState | undefined };

/** The public face of one mesh member. */
export interface MeshNode {
  readonly id: string;
  readonly address: string;
  readonly metrics: MeshMetrics;
  /** Push-pull with each seed address; resolves with how many answered. */
  join(seeds: string[]): Promise<number>;
  /** Announces a graceful leave and keeps gossiping it until close(). */
  leave(): void;
  /** Stops timers and the transport. */
  close(): Promise<void>;
  /** Signs and publishes one of this origin's entries; the key is derived from kind and value. */
  publish(kind: EntryKind, value: unknown): RegistryEntry;
  /** Deletes one of this origin's entries (a tombstone); `id` is the workspace id or revocation subject. */
  remove(kind: EntryKind, id?: string): RegistryEntry | undefined;
  /** Live entries held, optionally of one kind. */
  entries(kind?: EntryKind): RegistryEntry[];
  /** One live entry. */
  entry(origin: string, key: string): RegistryEntry | undefined;
  digest(): Digest;
  /**
   * When a push-pull first brought in everything a live peer held: from then on this member's registry has
   * been in sync with the mesh at least once, so a workspace it does not hold is not merely unknown yet.
   * Undefined until then; it never goes back.
   */
  syncedAt(): number | undefined;
  members(): MemberView[];
  member(id: string): MemberView | undefined;
  route(workspaceId: string): Route;
  /**
   * Local evidence that member `id` could not be reached outside the mesh (e.g. a forwarded request got no
   * answer): a member held alive is probed at once and suspected only if that probe fails too.
   */
  reportUnreachable(id: string): void;
  subscribe(listener: (event: MeshEvent) => void): () => void;
  /** A snapshot for status views and the CLI. */
  status(): MeshStatus;
  /** Resolves when no asynchronous certificate check is pending (tests, simulator). */
  idle(): Promise<void>;
}
