// RegistryStore: entries per origin and key, last-writer-by-version, with each origin's contiguous watermark.
import type { Digest, RegistryEntry } from '../../contract/index.ts';

/** An applied entry and when this node first saw its key held by this origin. */
export interface StoredEntry {
  entry: RegistryEntry;
  bytes: number;
  appliedAt: number;
  /** First time this origin's current claim on this key was seen here (survives updates, reset by delete). */
  firstSeenAt: number;
}

interface OriginState {
  entries: Map<string, StoredEntry>;
  /** Every write of this origin up to here has been seen (applied or superseded). */
  watermark: number;
  /** Versions above the watermark already applied (gossip can arrive out of order). */
  ahead: Set<number>;
  maxVersion: number;
}

/** Why an offered entry was not applied (not an error: duplicates are normal in gossip). */
export type OfferResult = 'applied' | 'stale';

/** The registry's data, pure: no I/O, no clock of its own. */
export class RegistryStore {
  private readonly origins = new Map<string, OriginState>();

  private origin(origin: string): OriginState {
    let o = this.origins.get(origin);
    if (!o) {
      o = { entries: new Map(), watermark: 0, ahead: new Set(), maxVersion: 0 };
      this.origins.set(origin, o);
    }
    return o;
  }

  get(origin: string, key: string): StoredEntry | undefined {
    return this.origins.get(origin)?.entries.get(key);
  }

  /** Whether `origin`/`key` at `version` would be news (cheap check before verifying a signature). */
  isNewer(origin: string, key: string, version: number): boolean {
    const o = this.origins.get(origin);
    if (!o) return true;
    const cur = o.entries.get(key);
    if (cur) return version > cur.entry.version;
    // Not held but at or below the watermark: superseded by a tombstone since collected.
    return version > o.watermark;
  }

  /** Applies `entry` if it is newer than what is held for its key. */
  offer(entry: RegistryEntry, bytes: number, now: number): OfferResult {
    if (!this.isNewer(entry.origin, entry.key, entry.version)) return 'stale';
    const o = this.origin(entry.origin);
    const cur = o.entries.get(entry.key);
    const firstSeenAt = cur && !cur.entry.deleted && !entry.deleted ? cur.firstSeenAt : now;
    o.entries.set(entry.key, { entry, bytes, appliedAt: now, firstSeenAt });
    o.maxVersion = Math.max(o.maxVersion, entry.version);
    if (entry.version === o.watermark + 1) {
      o.watermark = entry.version;
      while (o.ahead.delete(o.watermark + 1)) o.watermark++;
    } else if (entry.version > o.watermark) {
      o.ahead.add(entry.version);
    }
    return 'applied';
  }

  /**
   * Raises `origin`'s watermark after a peer sent every entry it holds up to `upTo`; never above the highest
   * signed version held, so a peer cannot make us believe in writes that we have not seen.
   */
  cover(origin: string, upTo: number): void {
    const o = this.origins.get(origin);
    if (!o) return;
    const to = Math.min(upTo, o.maxVersion);
    if (to <= o.watermark) return;
    o.watermark = to;
    for (const v of o.ahead) if (v <= to) o.ahead.delete(v);
    while (o.ahead.delete(o.watermark + 1)) o.watermark++;
  }

  /** Marks everything of `origin` up to `version` as seen: an origin's own history before this life. */
  setFloor(origin: string, version: number): void {
    const o = this.origin(origin);
    o.watermark = Math.max(o.watermark, version);
    o.maxVersion = Math.max(o.maxVersion, version);
  }

  /** `{origin: watermark}`. */
  digest(): Digest {
    const d: Digest = {};
    for (const [name, o] of this.origins) d[name] = o.watermark;
    return d;
  }

  watermark(origin: string): number {
    return this.origins.get(origin)?.watermark ?? 0;
  }

  maxVersion(origin: string): number {
    return this.origins.get(origin)?.maxVersion ?? 0;
  }

  originNames(): string[] {
    return [...this.origins.keys()];
  }

  /** Entries of one origin, tombstones included. */
  entriesOf(origin: string): StoredEntry[] {
    const o = this.origins.get(origin);
    return o ? [...o.entries.values()] : [];
  }

  /** Every held entry, tombstones included. */
  *all(): Generator<StoredEntry> {
    for (const o of this.origins.values()) yield* o.entries.values();
  }

  /**
   * Removes tombstones that are safe to forget: older than `maxAgeMs`, or older than `minAgeMs` and
   * acknowledged (`acked(origin, version)`: every live member's watermark has passed it). Returns how many.
   */
  collectTombstones(
    now: number,
    minAgeMs: number,
    maxAgeMs: number,
    acked: (origin: string, version: number) => boolean,
  ): number {
    let n = 0;
    for (const [name, o] of this.origins) {
      for (const [key, s] of o.entries) {
        if (!s.entry.deleted) continue;
        const age = now - s.appliedAt;
        // Only below the watermark: otherwise the stale-entry guard in isNewer would not cover the key.
        if (s.entry.version > o.watermark) continue;
        if (age >= maxAgeMs || (age >= minAgeMs && acked(name, s.entry.version))) {
          o.entries.delete(key);
          n++;
        }
      }
    }
    return n;
  }
}
