// Probes: in-flight direct and indirect probes and the ping-req relays this member runs for others.
import type { MeshConfig } from '../config.ts';
import type { MeshMetrics } from '../metrics.ts';
import type { MemberUpdate, MessageBody } from '../protocol.ts';
import type { Member } from './member.ts';

/** A message the core wants sent; the shell adds `v`, `from` and piggybacked updates. */
export interface Outgoing {
  to: string;
  body: MessageBody;
  /** Updates that must ride on this very packet (Lifeguard's buddy system). */
  updates?: MemberUpdate[];
  /** Send over the reliable request path and feed the answer back (memberlist's TCP fallback probe). */
  reliable?: { timeoutMs: number };
}

/** One probe of one member. */
export interface Probe {
  seq: number;
  target: string;
  addr: string;
  indirectAt: number;
  failAt: number;
  indirectSent: boolean;
  nacks: number;
  expectedNacks: number;
  /** A round-robin probe adjusts local health; a verification probe does not. */
  regular: boolean;
  /** What a failure means: a third party said the member left, or it simply did not answer. */
  onFail: 'suspect' | 'left';
  accusers: Set<string>;
}

interface Relay {
  requester: string;
  seq: number;
  nackAt: number;
}

/** Probe bookkeeping, pure: sequence numbers, deadlines, acks, nacks. */
export class Probes {
  private readonly probes = new Map<number, Probe>();
  private readonly byTarget = new Map<string, number>();
  private readonly relays = new Map<number, Relay>();

  constructor(
    private readonly config: MeshConfig,
    private readonly metrics: MeshMetrics,
    private seq: number,
  ) {}

  /** The probe of `id` in flight, if any. */
  inflight(id: string): Probe | undefined {
    const seq = this.byTarget.get(id);
    return seq === undefined ? undefined : this.probes.get(seq);
  }

  /** Starts a probe of `m`; timeouts stretch by Lifeguard's `scale`. Returns the probe and its ping. */
  start(
    now: number,
    m: Readonly<Member>,
    o: { regular: boolean; onFail: 'suspect' | 'left'; scale: number; updates?: MemberUpdate[] },
  ): { probe: Probe; ping: Outgoing } {
    const probe: Probe = {
      seq: ++this.seq,
      target: m.id,
      addr: m.addr,
      indirectAt: now + this.config.probeTimeoutMs * o.scale,
      failAt: now + this.config.probeIntervalMs * o.scale,
      indirectSent: false,
      nacks: 0,
      expectedNacks: 0,
      regular: o.regular,
      onFail: o.onFail,
      accusers: new Set(),
    };
    this.probes.set(probe.seq, probe);
    this.byTarget.set(m.id, probe.seq);
    this.metrics.probes++;
    const ping: Outgoing = { to: m.addr, body: { type: 'ping', seq: probe.seq } };
    if (o.updates) ping.updates = o.updates;
    return { probe, ping };
  }

  /** Probes `targetAddr` for a requester; its ack is forwarded, or a nack sent before the requester gives up. */
  relay(now: number, requester: string, requesterSeq: number, targetAddr: string): Outgoing {
    const seq = ++this.seq;
    // Nack before the requester's deadline so Lifeguard can tell "target down" from "requester unhealthy".
    this.relays.set(seq, { requester, seq: requesterSeq, nackAt: now + this.config.probeTimeoutMs * 0.8 });
    return { to: targetAddr, body: { type: 'ping', seq } };
  }

  /** An ack arrived: either forward it to a requester, or our probe succeeded (returned, and ended). */
  ack(seq: number): { forward?: Outgoing; succeeded?: Probe } {
    const relay = this.relays.get(seq);
    if (relay) {
      this.relays.delete(seq);
      return { forward: { to: relay.requester, body: { type: 'ack', seq: relay.seq } } };
    }
    const probe = this.probes.get(seq);
    if (!probe) return {};
    this.end(probe);
    return { succeeded: probe };
  }

  nack(seq: number): void {
    const probe = this.probes.get(seq);
    if (probe) probe.nacks++;
  }

  /**
   * Runs due deadlines: asks `helpers(probe)` to probe indirectly (plus the reliable fallback), sends nacks
   * for relays that got no answer, and returns the probes that failed (ended).
   */
  due(now: number, helpers: (p: Probe) => readonly Readonly<Member>[], out: Outgoing[]): Probe[] {
    const failed: Probe[] = [];
    for (const p of this.probes.values()) {
      if (!p.indirectSent && now >= p.indirectAt) {
        p.indirectSent = true;
        const hs = helpers(p);
        p.expectedNacks = hs.length;
        for (const h of hs) {
          out.push({
            to: h.addr,
            body: { type: 'ping-req', seq: p.seq, target: p.target, targetAddr: p.addr },
          });
        }
        // memberlist's fallback: one more direct probe over the reliable stream, which survives packet loss
        // that would otherwise make a healthy member look dead (a lossy link, not a dead host).
        out.push({
          to: p.addr,
          body: { type: 'ping', seq: p.seq },
          reliable: { timeoutMs: Math.max(1, p.failAt - p.indirectAt) },
        });
      }
      if (now >= p.failAt) {
        this.end(p);
        failed.push(p);
      }
    }
    for (const [seq, r] of this.relays) {
      if (now < r.nackAt) continue;
      this.relays.delete(seq);
      out.push({ to: r.requester, body: { type: 'nack', seq: r.seq } });
    }
    return failed;
  }

  /** The earliest probe or relay deadline. */
  nextDeadline(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const p of this.probes.values()) t = Math.min(t, p.indirectSent ? p.failAt : p.indirectAt);
    for (const r of this.relays.values()) t = Math.min(t, r.nackAt);
    return t;
  }

  private end(p: Probe): void {
    this.probes.delete(p.seq);
    if (this.byTarget.get(p.target) === p.seq) this.byTarget.delete(p.target);
  }
}
