// Entry validation before any signature check: schema, size bound, key naming, and who may write which kind.
import * as v from 'valibot';
import {
  CONTROL_ORIGIN,
  ENTRY_VALUE_SCHEMA,
  type EntryKind,
  MAX_ENTRY_BYTES,
  NodeId,
  RegistryEntry,
} from '../../contract/index.ts';
import type { EntryDropReason } from '../metrics.ts';

/** Kinds each class of origin may write: nodes their member record and workspaces, control the rest. */
export const WRITABLE_KINDS: Record<'node' | 'control', readonly EntryKind[]> = {
  node: ['member', 'workspace'],
  control: ['keyset', 'revocation'],
};

/** The registry key of an entry of `kind` with `value`: one member record and one keyset per origin. */
export function entryKey(kind: EntryKind, id?: string): string {
  switch (kind) {
    case 'member':
    case 'keyset':
      return kind;
    case 'workspace':
    case 'revocation':
      if (!id) throw new Error(`${kind} entries need an id`);
      return `${kind}/${id}`;
  }
}

export type ShapeCheck =
  | { ok: true; entry: RegistryEntry; bytes: number }
  | { ok: false; reason: EntryDropReason };

function originClass(origin: string): 'node' | 'control' | undefined {
  if (origin === CONTROL_ORIGIN) return 'control';
  return v.is(NodeId, origin) ? 'node' : undefined;
}

/** Checks everything about an incoming entry except its signature; never throws. */
export function checkEntry(raw: unknown): ShapeCheck {
  const parsed = v.safeParse(RegistryEntry, raw);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const entry = parsed.output;
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(entry.value) ?? '');
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (bytes > MAX_ENTRY_BYTES) return { ok: false, reason: 'oversized' };
  const cls = originClass(entry.origin);
  if (!cls) return { ok: false, reason: 'wrong-origin' };
  if (!WRITABLE_KINDS[cls].includes(entry.kind)) return { ok: false, reason: 'forbidden-kind' };
  if (entry.deleted) {
    if (entry.value !== null) return { ok: false, reason: 'invalid-value' };
    if (!keyMatches(entry.kind, entry.key, undefined)) return { ok: false, reason: 'wrong-key' };
    return { ok: true, entry, bytes: bytes + 200 };
  }
  const schema = ENTRY_VALUE_SCHEMA[entry.kind];
  const value = v.safeParse(schema, entry.value);
  if (!value.success) return { ok: false, reason: 'invalid-value' };
  const val = value.output as Record<string, unknown>;
  // A node writes only about itself: its member record and workspaces hosted on it.
  if ((entry.kind === 'member' || entry.kind === 'workspace') && val.nodeId !== entry.origin) {
    return { ok: false, reason: 'wrong-origin' };
  }
  const id =
    entry.kind === 'workspace' ? val.workspaceId : entry.kind === 'revocation' ? val.subject : undefined;
  if (!keyMatches(entry.kind, entry.key, id as string | undefined)) return { ok: false, reason: 'wrong-key' };
  return { ok: true, entry, bytes: bytes + 200 };
}

function keyMatches(kind: EntryKind, key: string, id: string | undefined): boolean {
  if (kind === 'member' || kind === 'keyset') return key === kind;
  const prefix = `${kind}/`;
  if (!key.startsWith(prefix) || key.length === prefix.length) return false;
  return id === undefined || key === prefix + id;
}
