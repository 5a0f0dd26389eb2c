// BroadcastQueue: updates waiting to be piggybacked, each sent a bounded number of times (fewest-sent first).
import type { RegistryEntry } from '../contract/index.ts';
import type { MemberUpdate } from './protocol.ts';

/** One queued update: a member state claim or a registry entry. */
export type Broadcast = { kind: 'member'; update: MemberUpdate } | { kind: 'entry'; entry: RegistryEntry };

interface Item {
  key: string;
  broadcast: Broadcast;
  bytes: number;
  transmits: number;
  order: number;
}

/** What one packet carries. */
export interface Piggyback {
  g: MemberUpdate[];
  e: RegistryEntry[];
  bytes: number;
}

/** Transmit-limited queue; a newer item with the same key replaces the older one (memberlist's invalidation). */
export class BroadcastQueue {
  private readonly items = new Map<string, Item>();
  private order = 0;

  /** Queues `broadcast` under `key`, replacing any older update of the same subject. */
  enqueue(key: string, broadcast: Broadcast, bytes: number): void {
    this.items.set(key, { key, broadcast, bytes, transmits: 0, order: this.order++ });
  }

  get size(): number {
    return this.items.size;
  }

  /** Takes what fits in `budget` bytes, least-transmitted first; items sent `limit` times leave the queue. */
  take(budget: number, limit: number): Piggyback {
    const out: Piggyback = { g: [], e: [], bytes: 0 };
    if (this.items.size === 0 || budget <= 0) return out;
    const sorted = [...this.items.values()].sort((a, b) => a.transmits - b.transmits || b.order - a.order);
    for (const item of sorted) {
      // 1 byte for the separating comma.
      if (item.bytes + 1 > budget - out.bytes) continue;
      out.bytes += item.bytes + 1;
      if (item.broadcast.kind === 'member') out.g.push(item.broadcast.update);
      else out.e.push(item.broadcast.entry);
      item.transmits++;
      if (item.transmits >= limit) this.items.delete(item.key);
      if (budget - out.bytes < 40) break;
    }
    return out;
  }
}
