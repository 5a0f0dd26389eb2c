// RegistryReplica: one node's copy of the registry — own writes signed, everyone else's verified before applied.
import type { KeyObject } from 'node:crypto';
import {
  CONTROL_ORIGIN,
  type Digest,
  type EntryKind,
  type Jwks,
  type MemberEntryValue,
  type RegistryEntry,
  type WorkspaceEntryValue,
} from '../../contract/index.ts';
import type { BroadcastQueue } from '../broadcast-queue.ts';
import type { EntryDropReason, MeshMetrics } from '../metrics.ts';
import { jsonBytes } from '../protocol.ts';
import type { WorkspaceClaim } from '../routing.ts';
import { signEntry, verifyEntry } from './signature.ts';
import { RegistryStore } from './store.ts';
import type { KeyResult, OriginTrust } from './trust.ts';
import { checkEntry, entryKey } from './validation.ts';

/** Raised when this node tries to publish an entry its peers would drop. */
export class MeshError extends Error {
  constructor(
    readonly code: 'invalid-entry' | 'not-joined',
    message: string,
  ) {
    super(message);
    this.name = 'MeshError';
  }
}

/** How an entry arrived: gossip is relayed onward, push-pull state is not (it is old news). */
export type EntrySource = 'gossip' | 'sync';

/** Called for every applied entry (own or remote). */
export type EntryListener = (entry: RegistryEntry, previous: RegistryEntry | undefined) => void;

/** Inputs of a replica. */
export interface ReplicaOptions {
  origin: string;
  privateKey: KeyObject;
  trust: OriginTrust;
  metrics: MeshMetrics;
  broadcasts: BroadcastQueue;
  /** This life's writes start above this version (e.g. the wall clock in ms), so a restart never reuses one. */
  initialVersion: number;
  onApplied: EntryListener;
}

interface Checked {
  entry: RegistryEntry;
  bytes: number;
}

/** The registry of one node. */
export class RegistryReplica {
  readonly store = new RegistryStore();
  private version: number;
  private readonly byWorkspace = new Map<string, Set<string>>();
  private pending = new Set<Promise<void>>();
  /** Keys that verified an entry of each origin: they also vouch for that member's claims about itself. */
  private readonly verifiedKeys = new Map<string, KeyObject[]>();

  constructor(private readonly o: ReplicaOptions) {
    this.version = o.initialVersion;
    this.store.setFloor(o.origin, o.initialVersion);
  }

  /** Signs and applies an entry of this origin; it spreads by gossip and push-pull. */
  publish(kind: EntryKind, value: unknown, now: number): RegistryEntry {
    const id =
      kind === 'workspace'
        ? (value as WorkspaceEntryValue).workspaceId
        : kind === 'revocation'
          ? (value as { subject: string }).subject
          : undefined;
    return this.write({ kind, key: entryKey(kind, id), value, deleted: false }, now);
  }

  /** Replaces this origin's entry under `key` with a tombstone; undefined if there was nothing to delete. */
  remove(key: string, now: number): RegistryEntry | undefined {
    const held = this.store.get(this.o.origin, key);
    if (!held || held.entry.deleted) return undefined;
    return this.write({ kind: held.entry.kind, key, value: null, deleted: true }, now);
  }

  private write(
    draft: Pick<RegistryEntry, 'kind' | 'key' | 'value' | 'deleted'>,
    now: number,
  ): RegistryEntry {
    const entry = signEntry(
      { origin: this.o.origin, version: this.version + 1, ...draft },
      this.o.privateKey,
    );
    const check = checkEntry(entry);
    if (!check.ok) throw new MeshError('invalid-entry', `peers would drop this entry: ${check.reason}`);
    this.version++;
    this.apply(check.entry, check.bytes, now, 'gossip');
    return entry;
  }

  /**
   * Validates, verifies and applies entries from a peer. Bad ones are counted and dropped. Answers
   * synchronously unless the trust needs to check a certificate. `covered` (push-pull) raises watermarks
   * of origins whose entries all verified.
   */
  ingest(
    raws: readonly unknown[],
    via: EntrySource,
    now: () => number,
    covered?: Digest,
  ): void | Promise<void> {
    const list: Checked[] = [];
    for (const raw of raws) {
      const c = checkEntry(raw);
      if (c.ok) list.push({ entry: c.entry, bytes: c.bytes });
      else this.drop(c.reason);
    }
    // Member entries first: they carry the certificates that vouch for their origin's other entries.
    list.sort((a, b) => (a.entry.kind === 'member' ? 0 : 1) - (b.entry.kind === 'member' ? 0 : 1));
    const failed = new Set<string>();
    const result = this.applyFrom(list, 0, via, now, failed, covered);
    if (result) {
      const tracked = result.finally(() => this.pending.delete(tracked));
      this.pending.add(tracked);
      return tracked;
    }
  }

  /** Resolves once every asynchronous ingest has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private applyFrom(
    list: Checked[],
    start: number,
    via: EntrySource,
    now: () => number,
    failed: Set<string>,
    covered: Digest | undefined,
  ): Promise<void> | undefined {
    for (let i = start; i < list.length; i++) {
      const { entry, bytes } = list[i] as Checked;
      if (entry.origin === this.o.origin) {
        // Our own entries coming back: only leftovers of a previous life (not held, not deleted) matter.
        const held = this.store.get(entry.origin, entry.key);
        if ((held && held.entry.version >= entry.version) || (!held && entry.deleted)) continue;
      } else if (!this.store.isNewer(entry.origin, entry.key, entry.version)) continue;
      const keys = this.o.trust.keyFor(entry.origin, this.certificateFor(entry));
      if (keys instanceof Promise) {
        return keys.then((k) => {
          this.finish(entry, bytes, k, via, now(), failed);
          return this.applyFrom(list, i + 1, via, now, failed, covered);
        });
      }
      this.finish(entry, bytes, keys, via, now(), failed);
    }
    if (covered) {
      for (const origin in covered) if (!failed.has(origin)) this.store.cover(origin, covered[origin] ?? 0);
    }
    return undefined;
  }

  private certificateFor(entry: RegistryEntry): string | undefined {
    if (entry.origin === CONTROL_ORIGIN) return undefined;
    if (entry.kind === 'member' && !entry.deleted) return (entry.value as MemberEntryValue).certificate;
    return this.memberEntry(entry.origin)?.certificate;
  }

  private finish(
    entry: RegistryEntry,
    bytes: number,
    keys: KeyResult,
    via: EntrySource,
    now: number,
    failed: Set<string>,
  ): void {
    if (!keys.ok) {
      failed.add(entry.origin);
      this.drop(keys.reason);
      return;
    }
    if (!verifyEntry(entry, keys.keys)) {
      failed.add(entry.origin);
      this.drop('bad-signature');
      return;
    }
    if (entry.kind === 'member' || !this.verifiedKeys.has(entry.origin))
      this.verifiedKeys.set(entry.origin, keys.keys);
    if (entry.origin === this.o.origin) {
      this.echo(entry, now);
      return;
    }
    this.apply(entry, bytes, now, via);
  }

  /**
   * Our own origin's entry, signed by our key, that this life did not write: a leftover of a previous life.
   * We are the authority on our entries, so we supersede it with a tombstone unless we hold the key.
   */
  private echo(entry: RegistryEntry, now: number): void {
    if (entry.version > this.version) this.version = entry.version;
    const held = this.store.get(this.o.origin, entry.key)?.entry;
    if (held) {
      // Our clock went back across a restart: peers hold a newer version than what we wrote in this life.
      // Re-issue what we hold above it, or peers would keep the old one.
      if (entry.version > held.version) {
        this.write({ kind: held.kind, key: held.key, value: held.value, deleted: held.deleted }, now);
      }
      return;
    }
    if (!entry.deleted) this.write({ kind: entry.kind, key: entry.key, value: null, deleted: true }, now);
  }

  private apply(entry: RegistryEntry, bytes: number, now: number, via: EntrySource): void {
    const previous = this.store.get(entry.origin, entry.key)?.entry;
    if (this.store.offer(entry, bytes, now) !== 'applied') return;
    this.o.metrics.entriesApplied++;
    if (entry.kind === 'workspace') this.index(entry);
    if (entry.origin === CONTROL_ORIGIN && entry.kind === 'keyset' && !entry.deleted) {
      this.o.trust.updateControlKeys?.(entry.value as Jwks);
    }
    if (via === 'gossip') {
      this.o.broadcasts.enqueue(`e:${entry.origin}/${entry.key}`, { kind: 'entry', entry }, jsonBytes(entry));
    }
    this.o.onApplied(entry, previous);
  }

  private index(entry: RegistryEntry): void {
    const wsId = entry.key.slice('workspace/'.length);
    let origins = this.byWorkspace.get(wsId);
    if (entry.deleted) {
      origins?.delete(entry.origin);
      if (origins?.size === 0) this.byWorkspace.delete(wsId);
      return;
    }
    if (!origins) {
      origins = new Set();
      this.byWorkspace.set(wsId, origins);
    }
    origins.add(entry.origin);
    if (origins.size > 1) this.o.metrics.conflictingClaims++;
  }

  private drop(reason: EntryDropReason): void {
    this.o.metrics.droppedEntries[reason]++;
  }

  /** Live claims on a workspace, one per origin. */
  claims(workspaceId: string): WorkspaceClaim[] {
    const out: WorkspaceClaim[] = [];
    for (const origin of this.byWorkspace.get(workspaceId) ?? []) {
      const s = this.store.get(origin, `workspace/${workspaceId}`);
      if (s && !s.entry.deleted) {
        out.push({ origin, value: s.entry.value as WorkspaceEntryValue, firstSeenAt: s.firstSeenAt });
      }
    }
    return out;
  }

  /** Keys proven for `origin` by a verified entry, if any. */
  keysOf(origin: string): KeyObject[] | undefined {
    return this.verifiedKeys.get(origin);
  }

  /** The member entry an origin published, if held. */
  memberEntry(origin: string): MemberEntryValue | undefined {
    const s = this.store.get(origin, 'member');
    return s && !s.entry.deleted ? (s.entry.value as MemberEntryValue) : undefined;
  }

  /** Live entries (tombstones excluded), optionally of one kind. */
  entries(kind?: EntryKind): RegistryEntry[] {
    const out: RegistryEntry[] = [];
    for (const s of this.store.all()) {
      if (!s.entry.deleted && (!kind || s.entry.kind === kind)) out.push(s.entry);
    }
    return out;
  }
}
