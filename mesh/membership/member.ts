// Member: one node's view of another member (address, incarnation, SWIM state).
import type { MemberState } from '../../contract/index.ts';

/** A member as this node sees it. */
export interface Member {
  /** The member's origin name (its node id, or `control`). */
  readonly id: string;
  /** Its transport address. */
  addr: string;
  /** Only the member itself raises its incarnation; a higher one overrides any older claim. */
  incarnation: number;
  state: MemberState;
  /** When `state` last changed here, in clock ms. */
  since: number;
  /** The member's signature over its current alive or left claim, passed on when we relay it. */
  sig?: string;
}

/** A change of one member's state, reported to subscribers. */
export interface MemberChange {
  member: Readonly<Member>;
  previous: MemberState | undefined;
}

/** A member seed: known address and id, e.g. from the control plane's join response. */
export interface MemberSeed {
  id: string;
  addr: string;
}
