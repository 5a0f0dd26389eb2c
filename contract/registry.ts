// Entries of the gossiped registry (docs/architecture.md "The mesh"): owned by one origin, versioned per origin, signed.
import * as v from 'valibot';
import { NodeId, WorkspaceId } from './ids.ts';
import { Jwks, Revocation } from './jwks.ts';
import { MemberState, WorkspaceStatus } from './status.ts';

/** Largest encoded entry value accepted from the mesh (bound sizes). */
export const MAX_ENTRY_BYTES = 16 * 1024;

/** The origin name of the control plane in the registry. */
export const CONTROL_ORIGIN = 'control';

export const WorkspaceEntryValue = v.object({
  workspaceId: WorkspaceId,
  nodeId: NodeId,
  status: WorkspaceStatus,
  /** Ports the workspace serves; the first is the app port. */
  ports: v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))), v.maxLength(16)),
});
export type WorkspaceEntryValue = v.InferOutput<typeof WorkspaceEntryValue>;

export const MemberEntryValue = v.object({
  nodeId: NodeId,
  name: v.string(),
  /** Mesh address host:port and the proxy base URL. */
  meshAddress: v.string(),
  proxyUrl: v.string(),
  /** The node certificate that vouches for this origin's signing key. */
  certificate: v.string(),
  state: v.optional(MemberState),
});
export type MemberEntryValue = v.InferOutput<typeof MemberEntryValue>;

export const KeysetEntryValue = Jwks;
export const RevocationEntryValue = Revocation;

export const ENTRY_KINDS = ['workspace', 'member', 'keyset', 'revocation'] as const;
export const EntryKind = v.picklist(ENTRY_KINDS);
export type EntryKind = v.InferOutput<typeof EntryKind>;

/** A registry entry as it travels. `value` is checked against its kind's schema before it is applied. */
export const RegistryEntry = v.object({
  origin: v.pipe(v.string(), v.maxLength(64)),
  key: v.pipe(v.string(), v.maxLength(128)),
  kind: EntryKind,
  version: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** Tombstones carry `value: null`. */
  value: v.unknown(),
  deleted: v.boolean(),
  /** base64url Ed25519 signature by the origin's key over the canonical encoding. */
  sig: v.pipe(v.string(), v.maxLength(128)),
});
export type RegistryEntry = v.InferOutput<typeof RegistryEntry>;

/** Highest version seen per origin. */
export const Digest = v.record(
  v.pipe(v.string(), v.maxLength(64)),
  v.pipe(v.number(), v.integer(), v.minValue(0)),
);
export type Digest = v.InferOutput<typeof Digest>;

export const ENTRY_VALUE_SCHEMA = {
  workspace: WorkspaceEntryValue,
  member: MemberEntryValue,
  keyset: KeysetEntryValue,
  revocation: RevocationEntryValue,
} as const;
