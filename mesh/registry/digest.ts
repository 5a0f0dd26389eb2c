// Digest reconciliation, pure: what one side holds that the other's digest says it lacks.
import type { Digest, RegistryEntry } from '../../contract/index.ts';
import type { RegistryStore } from './store.ts';

/** Entries for a peer plus, per origin, the version up to which they are complete. */
export interface Delta {
  entries: RegistryEntry[];
  covered: Digest;
  bytes: number;
}

/** Origins where `mine` is ahead of `theirs`. */
export function originsAhead(mine: Digest, theirs: Digest): string[] {
  const out: string[] = [];
  for (const origin in mine) if ((mine[origin] ?? 0) > (theirs[origin] ?? 0)) out.push(origin);
  return out.sort();
}

/**
 * Every held entry newer than `theirs` says, oldest version first per origin, within `budget` bytes.
 * `covered[o]` is set only for origins sent completely, so the peer can raise its watermark safely.
 */
export function diff(store: RegistryStore, theirs: Digest, budget: number): Delta {
  const out: Delta = { entries: [], covered: {}, bytes: 0 };
  for (const origin of store.originNames().sort()) {
    const have = theirs[origin] ?? 0;
    if (store.maxVersion(origin) <= have) continue;
    const newer = store
      .entriesOf(origin)
      .filter((s) => s.entry.version > have)
      .sort((a, b) => a.entry.version - b.entry.version);
    let complete = true;
    for (const s of newer) {
      if (out.bytes + s.bytes > budget && out.entries.length > 0) {
        complete = false;
        break;
      }
      out.entries.push(s.entry);
      out.bytes += s.bytes;
    }
    const w = store.watermark(origin);
    if (complete && w > have) out.covered[origin] = w;
    if (!complete) break;
  }
  return out;
}
