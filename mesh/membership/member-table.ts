// MemberTable: one node's member list — copy-on-write over an optional shared base, with O(1) random live picks.
import type { MemberState } from '../../contract/index.ts';
import { type Random, randomIndex } from '../random.ts';
import type { Member } from './member.ts';

const isLive = (s: MemberState) => s === 'alive' || s === 'suspect';

/**
 * Members by id. A simulator of thousands of nodes may hand every node the same frozen base table
 * (N² records would not fit in memory); a node copies a record the first time it changes it.
 */
export class MemberTable {
  private readonly own = new Map<string, Member | null>();
  /** Ids of live members other than self; may hold stale or duplicate ids, filtered on use. */
  private liveIds: string[] = [];
  private live = 0;

  constructor(
    readonly self: Member,
    private readonly base: ReadonlyMap<string, Readonly<Member>> = new Map(),
  ) {
    this.own.set(self.id, self);
    for (const m of base.values()) {
      if (m.id !== self.id && isLive(m.state)) {
        this.liveIds.push(m.id);
        this.live++;
      }
    }
  }

  get(id: string): Readonly<Member> | undefined {
    const o = this.own.get(id);
    if (o !== undefined) return o ?? undefined;
    return this.base.get(id);
  }

  /** A record this node may change (copied from the shared base on first write). */
  writable(m: Readonly<Member>): Member {
    const o = this.own.get(m.id);
    if (o) return o;
    const copy: Member = { ...m };
    this.own.set(m.id, copy);
    return copy;
  }

  /** Adds a member not known before. */
  insert(m: Member): Member {
    this.own.set(m.id, m);
    if (m !== this.self && isLive(m.state)) this.enterLive(m.id);
    return m;
  }

  /** Changes a member's state and keeps the live count in step; returns the writable record. */
  setState(m: Readonly<Member>, state: MemberState, now: number): Member {
    const w = this.writable(m);
    const was = isLive(w.state);
    w.state = state;
    w.since = now;
    if (w !== this.self) {
      if (!was && isLive(state)) this.enterLive(w.id);
      else if (was && !isLive(state)) this.live--;
    }
    return w;
  }

  /** Forgets a (dead or left) member. */
  remove(id: string): void {
    const m = this.get(id);
    if (!m || m === this.self) return;
    if (isLive(m.state)) this.live--;
    if (this.base.has(id)) this.own.set(id, null);
    else this.own.delete(id);
  }

  *values(): Generator<Readonly<Member>> {
    for (const [id, m] of this.base) if (!this.own.has(id)) yield m;
    for (const m of this.own.values()) if (m) yield m;
  }

  /** Live members other than self. */
  get liveCount(): number {
    return this.live;
  }

  /** Live members other than self, as a fresh array (O(N): not for hot paths). */
  peers(): Readonly<Member>[] {
    const out: Readonly<Member>[] = [];
    for (const m of this.values()) if (m !== this.self && isLive(m.state)) out.push(m);
    return out;
  }

  /** Up to `k` distinct random live members other than self that `accept` allows. */
  randomLive(random: Random, k: number, accept: (m: Readonly<Member>) => boolean): Readonly<Member>[] {
    const out: Readonly<Member>[] = [];
    if (k <= 0 || this.live === 0) return out;
    if (this.live <= k * 4) {
      const all = this.peers().filter(accept);
      for (let i = all.length - 1; i > 0; i--) {
        const j = randomIndex(random, i + 1);
        [all[i], all[j]] = [all[j] as Readonly<Member>, all[i] as Readonly<Member>];
      }
      return all.slice(0, k);
    }
    const picked = new Set<string>();
    for (let tries = 0; out.length < k && tries < k * 16; tries++) {
      const id = this.liveIds[randomIndex(random, this.liveIds.length)] as string;
      if (picked.has(id)) continue;
      picked.add(id);
      const m = this.get(id);
      if (m && m !== this.self && isLive(m.state) && accept(m)) out.push(m);
    }
    return out;
  }

  private enterLive(id: string): void {
    this.live++;
    this.liveIds.push(id);
    // Compact once stale ids outnumber live ones.
    if (this.liveIds.length > 2 * this.live + 64) {
      this.liveIds = this.peers().map((m) => m.id);
    }
  }
}
