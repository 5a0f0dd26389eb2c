// ProbeOrder: SWIM's round-robin over a shuffled member list, so every member is probed once per round.
import { type Random, randomIndex, shuffle } from '../random.ts';
import type { Member } from './member.ts';
import type { MemberTable } from './member-table.ts';

/** Randomized round-robin probe targets (bounded detection time, unlike uniform random choice). */
export class ProbeOrder {
  private order: string[] = [];
  private index = 0;

  constructor(
    private readonly table: MemberTable,
    private readonly random: Random,
  ) {}

  /** Starts a fresh round over every live member. */
  reshuffle(): void {
    this.order = shuffle(
      this.random,
      this.table.peers().map((m) => m.id),
    );
    this.index = 0;
  }

  /** The next live member to probe; a new shuffled round starts when one ends. */
  next(): Readonly<Member> | undefined {
    for (let pass = 0; pass < 2; pass++) {
      while (this.index < this.order.length) {
        const m = this.table.get(this.order[this.index++] as string);
        if (m && m !== this.table.self && (m.state === 'alive' || m.state === 'suspect')) return m;
      }
      this.reshuffle();
    }
    return undefined;
  }

  /** Puts a member into the rest of this round at a random place (memberlist does the same for joiners). */
  add(id: string): void {
    const at = this.index + randomIndex(this.random, this.order.length - this.index + 1);
    this.order.splice(at, 0, id);
  }
}
