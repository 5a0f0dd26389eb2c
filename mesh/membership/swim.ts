// Swim: the pure SWIM core — probes, indirect probes, suspicion, refutation, leave — driven by messages and time.
import type { MemberState } from '../../contract/index.ts';
import type { BroadcastQueue } from '../broadcast-queue.ts';
import { type MeshConfig, suspicionMinMs } from '../config.ts';
import type { MeshMetrics } from '../metrics.ts';
import type { Ack, MemberUpdate, Nack, PingReq } from '../protocol.ts';
import { jsonBytes } from '../protocol.ts';
import type { Random } from '../random.ts';
import type { Member, MemberChange, MemberSeed } from './member.ts';
import { MemberTable } from './member-table.ts';
import { ProbeOrder } from './probe-order.ts';
import { type Outgoing, type Probe, Probes } from './probes.ts';

export type { Outgoing } from './probes.ts';

import { Suspicion } from './suspicion.ts';

/** Inputs of a Swim core; clock and randomness are injected. */
export interface SwimOptions {
  self: MemberSeed;
  /** Start above any incarnation this member may have used before (e.g. from the wall clock). */
  incarnation: number;
  config: MeshConfig;
  random: Random;
  metrics: MeshMetrics;
  broadcasts: BroadcastQueue;
  now: number;
  /** A frozen member table shared by many simulated nodes, copied on write (memory at N = 5,000). */
  sharedMembers?: ReadonlyMap<string, Readonly<Member>>;
  /** Signs this member's claims about itself. */
  signClaim?: (u: MemberUpdate) => string;
  /**
   * Checks a member's signature on its alive or left claim: false = forged, undefined = its key is not
   * known yet (accepted, so members can join before their certificate has spread).
   */
  verifyClaim?: (u: MemberUpdate) => boolean | undefined;
}

/**
 * SWIM with Lifeguard's local health and suspicion. Hardening against a lying member: a third party's
 * suspect, dead or left claim about a member we believe alive is never applied as told — we probe that
 * member ourselves (directly and through k others) and suspect it only if our own probe fails. Death is
 * always a local decision at the end of our own suspicion timer. So one member with a valid certificate
 * cannot get a healthy member declared dead. Conversely, alive and left claims must carry the signature of
 * the member they are about (once its key is known), so nobody can revive a dead member or raise another
 * member's incarnation beyond its reach.
 */
export class Swim {
  private readonly config: MeshConfig;
  private readonly random: Random;
  private readonly metrics: MeshMetrics;
  private readonly broadcasts: BroadcastQueue;
  private readonly table: MemberTable;
  readonly self: Member;
  private readonly probes: Probes;
  private readonly suspicions = new Map<string, Suspicion>();
  /** Highest incarnation per member at which an unverified claim was passed on. */
  private readonly relayedClaims = new Map<string, number>();
  private readonly order: ProbeOrder;
  private nextProbeAt: number;
  private nextReapAt: number;
  private changes: MemberChange[] = [];
  /** Lifeguard local health score, 0 = healthy. */
  awareness = 0;
  private leaving = false;
  private readonly signClaim: ((u: MemberUpdate) => string) | undefined;
  private readonly verifyClaim: ((u: MemberUpdate) => boolean | undefined) | undefined;
  /** `inc/state/addr` of the self claim `self.sig` covers. */
  private selfSigned = '';

  constructor(o: SwimOptions) {
    this.config = o.config;
    this.random = o.random;
    this.metrics = o.metrics;
    this.broadcasts = o.broadcasts;
    this.signClaim = o.signClaim;
    this.verifyClaim = o.verifyClaim;
    this.self = {
      id: o.self.id,
      addr: o.self.addr,
      incarnation: o.incarnation,
      state: 'alive',
      since: o.now,
    };
    this.table = new MemberTable(this.self, o.sharedMembers);
    this.order = new ProbeOrder(this.table, this.random);
    if (o.sharedMembers) this.order.reshuffle();
    // Random phase so members started together do not probe in lockstep.
    this.nextProbeAt = o.now + Math.floor(this.random.next() * o.config.probeIntervalMs);
    this.nextReapAt = o.now + o.config.deadMemberRetentionMs;
    this.probes = new Probes(o.config, o.metrics, Math.floor(this.random.next() * 1_000_000));
  }

  /** Every known member, this one included. */
  members(): Readonly<Member>[] {
    return [...this.table.values()];
  }

  member(id: string): Readonly<Member> | undefined {
    return this.table.get(id);
  }

  /** Members believed alive or suspect, this one included: SWIM's estimate of N. */
  liveCount(): number {
    return this.table.liveCount + 1;
  }

  /** Live members other than this one (a fresh array, O(N)). */
  peers(): Readonly<Member>[] {
    return this.table.peers();
  }

  /** Up to `k` distinct random live peers accepted by `accept`, without scanning the whole table. */
  randomPeers(k: number, accept: (m: Readonly<Member>) => boolean = () => true): Readonly<Member>[] {
    return this.table.randomLive(this.random, k, accept);
  }

  /** State changes since the last call, for subscribers. */
  drainChanges(): MemberChange[] {
    const c = this.changes;
    this.changes = [];
    return c;
  }

  /** Adds members known from elsewhere (seed list, control plane) as alive at incarnation 0, quietly. */
  addSeeds(seeds: MemberSeed[], now: number): void {
    for (const s of seeds) {
      if (this.table.get(s.id) || s.id === this.self.id) continue;
      this.table.insert({ id: s.id, addr: s.addr, incarnation: 0, state: 'alive', since: now });
    }
    // One shuffle for the whole batch instead of a random insert per member (O(N) each).
    this.order.reshuffle();
  }

  /** Our own state as others should hear it. */
  selfUpdate(): MemberUpdate {
    const u: MemberUpdate = {
      id: this.self.id,
      addr: this.self.addr,
      inc: this.self.incarnation,
      state: this.self.state,
    };
    const key = `${u.inc}/${u.state}/${u.addr}`;
    if (this.signClaim && this.selfSigned !== key) {
      this.self.sig = this.signClaim(u);
      this.selfSigned = key;
    }
    return this.self.sig ? { ...u, sig: this.self.sig } : u;
  }

  /** The full member table as updates, for push-pull. */
  records(): MemberUpdate[] {
    const out: MemberUpdate[] = [];
    for (const m of this.table.values()) {
      if (m === this.self) out.push(this.selfUpdate());
      else out.push(this.claimOf(m));
    }
    return out;
  }

  /** Leaves gracefully: a `left` claim at a higher incarnation, gossiped before the shell stops. */
  leave(now: number): void {
    this.leaving = true;
    this.self.incarnation++;
    this.setState(this.self, 'left', now);
    this.broadcast(this.selfUpdate());
  }

  /** The earliest time `tick` has work to do. */
  nextDeadline(): number {
    let t = this.leaving ? Number.POSITIVE_INFINITY : this.nextProbeAt;
    t = Math.min(t, this.nextReapAt);
    t = Math.min(t, this.probes.nextDeadline());
    for (const s of this.suspicions.values()) t = Math.min(t, s.deadline);
    return t;
  }

  /** Runs every timer due at `now`; returns messages to send. */
  tick(now: number): Outgoing[] {
    const out: Outgoing[] = [];
    const helpers = (p: Probe) =>
      this.randomPeers(this.config.indirectChecks, (m) => m.id !== p.target && m.state === 'alive');
    for (const p of this.probes.due(now, helpers, out)) this.probeFailed(now, p, out);
    for (const [id, s] of this.suspicions) if (now >= s.deadline) this.declareDead(now, id, s);
    if (!this.leaving && now >= this.nextProbeAt) {
      this.nextProbeAt = now + this.config.probeIntervalMs * (this.awareness + 1);
      const target = this.order.next();
      if (target && !this.probes.inflight(target.id)) this.startProbe(now, target, true, 'suspect', out);
    }
    if (now >= this.nextReapAt) this.reap(now);
    return out;
  }

  /**
   * Local evidence from outside the protocol: a caller (e.g. the proxy) could not reach member `id`. A member
   * we hold alive is probed at once, directly and through k others, and suspected only if that probe fails too
   * — the same rule as for a third party's accusation, so a path that is cut between two members alone (while
   * others still reach it) never makes it suspect. Returns the ping to send; nothing when the member is not
   * alive here or a probe of it is already in flight, so a burst of reports costs one probe.
   */
  contactFailed(now: number, id: string): Outgoing[] {
    const m = this.table.get(id);
    if (!m || m === this.self || m.state !== 'alive' || this.leaving || this.probes.inflight(id)) return [];
    this.metrics.contactFailures++;
    const out: Outgoing[] = [];
    this.startProbe(now, m, false, 'suspect', out);
    return out;
  }

  onPing(fromAddr: string, seq: number): Outgoing[] {
    if (this.leaving) return [];
    return [{ to: fromAddr, body: { type: 'ack', seq } }];
  }

  onPingReq(now: number, fromAddr: string, msg: PingReq): Outgoing[] {
    const target = this.table.get(msg.target);
    // Only probe addresses we know for that member: never reflect traffic to an address a peer names.
    if (!target || target.addr !== msg.targetAddr || this.leaving) return [];
    return [this.probes.relay(now, fromAddr, msg.seq, target.addr)];
  }

  onAck(msg: Ack): Outgoing[] {
    const r = this.probes.ack(msg.seq);
    if (r.forward) return [r.forward];
    if (r.succeeded?.regular) this.awareness = Math.max(0, this.awareness - 1);
    return [];
  }

  onNack(msg: Nack): void {
    this.probes.nack(msg.seq);
  }

  /**
   * Applies member claims from gossip (`viaSync` false) or a push-pull (`viaSync` true, `syncFrom` the
   * partner). Returns verification probes to send.
   */
  applyUpdates(
    now: number,
    fromAddr: string,
    updates: MemberUpdate[],
    viaSync = false,
    syncFrom = '',
  ): Outgoing[] {
    const out: Outgoing[] = [];
    for (const u of updates) this.applyUpdate(now, fromAddr, u, viaSync, syncFrom, out);
    return out;
  }

  private applyUpdate(
    now: number,
    fromAddr: string,
    u: MemberUpdate,
    viaSync: boolean,
    syncFrom: string,
    out: Outgoing[],
  ): void {
    if (u.id === this.self.id) {
      this.selfClaim(u);
      return;
    }
    let m = this.table.get(u.id);
    // Relay what changed; from a push-pull only the partner's own record is news worth spreading.
    const relay = !viaSync || u.id === syncFrom;
    if (!m) {
      if (u.state === 'dead' || u.state === 'left') {
        // Remember it, so a replayed alive at this incarnation cannot bring it back.
        this.insert({ id: u.id, addr: u.addr, incarnation: u.inc, state: u.state, since: now });
        return;
      }
      if (u.state === 'alive' && !this.signedBySubject(u)) return;
      const sig = u.state === 'alive' ? u.sig : undefined;
      m = this.insert({
        id: u.id,
        addr: u.addr,
        incarnation: u.inc,
        state: 'alive',
        since: now,
        ...(sig ? { sig } : {}),
      });
      this.changes.push({ member: m, previous: undefined });
      if (relay) this.broadcast(this.claimOf(m));
      if (u.state === 'alive') return;
    }
    if (u.state === 'alive') this.aliveClaim(now, m, u, relay);
    else if (u.state === 'left') this.leftClaim(now, m, u, !viaSync && fromAddr === m.addr, out);
    else this.accusation(now, m, u, viaSync, out);
  }

  /** Refutation or rejoin needs a strictly higher incarnation: a replayed alive revives nothing. */
  private aliveClaim(now: number, m: Readonly<Member>, u: MemberUpdate, relay: boolean): void {
    if (u.inc <= m.incarnation || !this.signedBySubject(u)) return;
    const w = this.table.writable(m);
    w.incarnation = u.inc;
    w.addr = u.addr;
    w.sig = u.sig;
    this.suspicions.delete(w.id);
    if (w.state !== 'alive') {
      if (w.state === 'dead' || w.state === 'left') this.order.add(w.id);
      this.setState(w, 'alive', now);
    }
    if (relay) this.broadcast(this.claimOf(w));
  }

  /** Whether an alive or left claim carries its subject's signature (or the subject's key is unknown yet). */
  private signedBySubject(u: MemberUpdate): boolean {
    if (this.verifyClaim?.(u) !== false) return true;
    this.metrics.droppedMessages['forged-claim']++;
    return false;
  }

  /** A member's own claim as we relay it: with its signature when we have one. */
  private claimOf(m: Readonly<Member>): MemberUpdate {
    const u = this.updateOf(m);
    return m.sig && (m.state === 'alive' || m.state === 'left') ? { ...u, sig: m.sig } : u;
  }

  /** A suspect or dead claim by someone else. */
  private accusation(
    now: number,
    m: Readonly<Member>,
    u: MemberUpdate,
    viaSync: boolean,
    out: Outgoing[],
  ): void {
    if (u.inc < m.incarnation || m.state === 'dead' || m.state === 'left') return;
    if (m.state === 'suspect') {
      // We suspect it ourselves already: a death is accepted, a suspicion confirms (Lifeguard).
      const s = this.suspicions.get(m.id);
      if (u.state === 'dead' && s) this.declareDead(now, m.id, s, u.by);
      else if (u.by && s?.confirm(u.by)) this.broadcast({ ...this.updateOf(m), by: u.by });
      return;
    }
    // Alive here: verify with our own probe before believing anyone. Pass the claim on once per
    // incarnation (under its own queue key, so it never displaces a refutation) so that the other
    // members start verifying in parallel instead of one verification round after another.
    this.verify(now, m, 'suspect', u.by, out);
    if (!viaSync && (this.relayedClaims.get(m.id) ?? -1) < m.incarnation) {
      this.relayedClaims.set(m.id, m.incarnation);
      const claim: MemberUpdate = { ...this.updateOf(m), state: 'suspect', ...(u.by ? { by: u.by } : {}) };
      this.broadcasts.enqueue(`c:${m.id}`, { kind: 'member', update: claim }, jsonBytes(claim));
    }
  }

  /** A left claim: believed when the member says it itself, verified by a probe otherwise. */
  private leftClaim(
    now: number,
    m: Readonly<Member>,
    u: MemberUpdate,
    direct: boolean,
    out: Outgoing[],
  ): void {
    if (u.inc < m.incarnation || m.state === 'dead' || m.state === 'left') return;
    if (!direct || !this.signedBySubject(u)) {
      this.verify(now, m, 'left', undefined, out);
      return;
    }
    const w = this.table.writable(m);
    w.incarnation = u.inc;
    w.sig = u.sig;
    this.suspicions.delete(w.id);
    this.broadcast(this.claimOf(this.setState(w, 'left', now)));
  }

  private selfClaim(u: MemberUpdate): void {
    if (this.leaving) return;
    if (u.state === 'alive') {
      // An alive from a previous life of ours: move past it so our current state wins.
      if (u.inc > this.self.incarnation) {
        this.self.incarnation = u.inc + 1;
        this.broadcast(this.selfUpdate());
      }
      return;
    }
    if (u.inc < this.self.incarnation) {
      // Already refuted, but the claimant has not heard: queue our alive again so the very next packet
      // (often the ack to its buddy-system probe) carries it, even if the first refutation was spent.
      this.broadcast(this.selfUpdate());
      return;
    }
    this.self.incarnation = u.inc + 1;
    this.metrics.refutations++;
    // Lifeguard: being suspected hints that we are the slow one.
    this.awareness = Math.min(this.config.awarenessMax, this.awareness + 1);
    this.broadcast(this.selfUpdate());
  }

  private verify(
    now: number,
    m: Readonly<Member>,
    onFail: 'suspect' | 'left',
    accuser: string | undefined,
    out: Outgoing[],
  ) {
    const existing = this.probes.inflight(m.id);
    if (existing) {
      if (onFail === 'left') existing.onFail = 'left';
      if (accuser) existing.accusers.add(accuser);
      return;
    }
    // The probe carries the claim to its subject, which refutes it in the ack if it is alive; we then relay
    // the refutation. Without this, a claim we found false would never reach the member it is about.
    const claim: MemberUpdate = { ...this.updateOf(m), state: onFail, ...(accuser ? { by: accuser } : {}) };
    const p = this.startProbe(now, m, false, onFail, out, claim);
    if (accuser) p.accusers.add(accuser);
  }

  private startProbe(
    now: number,
    m: Readonly<Member>,
    regular: boolean,
    onFail: 'suspect' | 'left',
    out: Outgoing[],
    claim?: MemberUpdate,
  ): Probe {
    // Lifeguard's buddy system: a suspect hears of its suspicion on the probe itself, so it can refute even
    // when the gossip about it was spent while the network was split.
    const updates =
      m.state === 'suspect' ? [{ ...this.updateOf(m), by: this.self.id }] : claim ? [claim] : undefined;
    const { probe, ping } = this.probes.start(now, m, {
      regular,
      onFail,
      scale: this.awareness + 1,
      updates,
    });
    out.push(ping);
    return probe;
  }

  private probeFailed(now: number, p: Probe, out: Outgoing[]): void {
    this.metrics.probeFailures++;
    if (p.regular) {
      // Lifeguard: helpers that did not even nack suggest our own network is the problem.
      const missing = p.expectedNacks === 0 || p.nacks < p.expectedNacks;
      if (missing) this.awareness = Math.min(this.config.awarenessMax, this.awareness + 1);
    }
    const m = this.table.get(p.target);
    if (!m || m.state === 'dead' || m.state === 'left') return;
    if (p.onFail === 'left') {
      this.suspicions.delete(m.id);
      this.broadcast(this.updateOf(this.setState(m, 'left', now)));
      return;
    }
    this.suspect(now, m, p.accusers, out);
  }

  private suspect(now: number, m: Readonly<Member>, accusers: Set<string>, out?: Outgoing[]): void {
    if (m.state === 'suspect') {
      this.suspicions.get(m.id)?.confirm(this.self.id);
      return;
    }
    const n = this.liveCount();
    const min = suspicionMinMs(this.config, n);
    const k = n - 2 < this.config.suspicionMult - 2 ? 0 : this.config.suspicionMult - 2;
    const s = new Suspicion(
      m.incarnation,
      now,
      k,
      min,
      min * this.config.suspicionMaxTimeoutMult,
      this.self.id,
    );
    for (const a of accusers) s.confirm(a);
    this.suspicions.set(m.id, s);
    this.metrics.suspicions++;
    const w = this.setState(m, 'suspect', now);
    const claim: MemberUpdate = { ...this.updateOf(w), by: this.self.id };
    this.broadcast(claim);
    // Tell the suspect at once, so a live member refutes well within the timeout even if gossip is lossy.
    out?.push({ to: m.addr, body: { type: 'gossip' }, updates: [claim] });
  }

  private declareDead(now: number, id: string, s: Suspicion, by?: string): void {
    this.suspicions.delete(id);
    const m = this.table.get(id);
    if (m?.state !== 'suspect' || m.incarnation !== s.incarnation) return;
    this.metrics.deaths++;
    const w = this.setState(m, 'dead', now);
    this.broadcast({ ...this.updateOf(w), by: by ?? this.self.id });
  }

  private reap(now: number): void {
    this.nextReapAt = now + this.config.deadMemberRetentionMs;
    const gone: string[] = [];
    for (const m of this.table.values()) {
      if ((m.state === 'dead' || m.state === 'left') && now - m.since >= this.config.deadMemberRetentionMs) {
        gone.push(m.id);
      }
    }
    for (const id of gone) {
      this.table.remove(id);
      this.relayedClaims.delete(id);
    }
  }

  private insert(m: Member): Member {
    this.table.insert(m);
    if (m.state === 'alive') this.order.add(m.id);
    return m;
  }

  /** Changes a member's state; returns its writable record (use it, not `m`, afterwards). */
  private setState(m: Readonly<Member>, state: MemberState, now: number): Member {
    const previous = m.state;
    const w = this.table.setState(m, state, now);
    this.changes.push({ member: w, previous });
    return w;
  }

  private updateOf(m: Readonly<Member>): MemberUpdate {
    return { id: m.id, addr: m.addr, inc: m.incarnation, state: m.state };
  }

  private broadcast(u: MemberUpdate): void {
    this.broadcasts.enqueue(`m:${u.id}`, { kind: 'member', update: u }, jsonBytes(u));
  }
}
