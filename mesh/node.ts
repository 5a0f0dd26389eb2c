// MeshNode: the shell around the pure cores — decodes packets, drives timers, runs push-pull, emits events.
import type { Digest, EntryKind, RegistryEntry } from '../contract/index.ts';
import { BroadcastQueue } from './broadcast-queue.ts';
import { type Clock, systemClock, type Timer } from './clock.ts';
import { defaultMeshConfig, type MeshConfig, pushPullIntervalMs, retransmitLimit } from './config.ts';
import { signClaim, verifyClaim } from './membership/claim-signature.ts';
import type { Member } from './membership/member.ts';
import { type Outgoing, Swim } from './membership/swim.ts';
import { createMeshMetrics } from './metrics.ts';
import type { MemberView, MeshEvent, MeshNode, MeshNodeOptions, MeshStatus } from './node-api.ts';
import {
  decodeMessage,
  encodeMessage,
  jsonBytes,
  type MemberUpdate,
  type Message,
  type MessageBody,
  PROTOCOL_VERSION,
} from './protocol.ts';
import { type Random, sample, systemRandom } from './random.ts';
import { RegistryReplica } from './registry/replica.ts';
import { toPrivateKey } from './registry/signature.ts';
import type { OriginTrust } from './registry/trust.ts';
import { entryKey } from './registry/validation.ts';
import { type Route, routeWorkspace } from './routing.ts';
import { SyncChannel } from './sync.ts';
import type { Transport } from './transport.ts';

export type {
  MemberView,
  MeshEvent,
  MeshIdentity,
  MeshNode,
  MeshNodeOptions,
  MeshStatus,
} from './node-api.ts';

const view = (m: Readonly<Member>): MemberView => ({
  id: m.id,
  addr: m.addr,
  incarnation: m.incarnation,
  state: m.state,
  since: m.since,
});

/** Creates a mesh member and starts its timers; call join(seeds) to enter a cluster. */
export function createMeshNode(options: MeshNodeOptions): MeshNode {
  return new MeshNodeImpl(options);
}

class MeshNodeImpl implements MeshNode {
  readonly id: string;
  readonly metrics = createMeshMetrics();
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly config: MeshConfig;
  private readonly broadcasts = new BroadcastQueue();
  private readonly swim: Swim;
  private readonly replica: RegistryReplica;
  private readonly trust: OriginTrust;
  private readonly listeners = new Set<(e: MeshEvent) => void>();
  private readonly peerDigests = new Map<string, Digest>();
  private readonly sync: SyncChannel;
  private timer: Timer | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private nextGossipAt: number;
  private nextPushPullAt: number;
  private nextCollectAt: number;
  private closed = false;
  /** When a push-pull first brought in everything a live peer held (sticky). */
  private syncedAtMs: number | undefined;

  constructor(o: MeshNodeOptions) {
    this.transport = o.transport;
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? systemRandom;
    this.config = o.config ?? defaultMeshConfig();
    this.id = o.identity.origin;
    const now = this.clock.now();
    const privateKey = toPrivateKey(o.identity.privateKey);
    this.trust = o.trust;
    this.swim = new Swim({
      self: { id: this.id, addr: o.transport.address },
      incarnation: o.incarnation ?? Math.floor(now / 1000),
      config: this.config,
      random: this.random,
      metrics: this.metrics,
      broadcasts: this.broadcasts,
      now,
      sharedMembers: o.sharedMembers,
      signClaim: (u) => signClaim(u, privateKey),
      verifyClaim: (u) => {
        const keys = this.claimKeys(u.id);
        return keys ? verifyClaim(u, keys) : undefined;
      },
    });
    if (o.initialMembers) this.swim.addSeeds(o.initialMembers, now);
    this.replica = new RegistryReplica({
      origin: this.id,
      privateKey,
      trust: o.trust,
      metrics: this.metrics,
      broadcasts: this.broadcasts,
      initialVersion: Math.floor(now),
      onApplied: (entry, previous) => this.emit({ type: 'entry', entry, previous }),
    });
    // Random phases, so members started together do not gossip or sync in lockstep.
    this.nextGossipAt = now + this.random.next() * this.config.gossipIntervalMs;
    this.nextPushPullAt = now + this.random.next() * this.pushPullInterval();
    this.nextCollectAt = now + this.config.tombstoneMinAgeMs;
    this.transport.onPacket((from, payload) => this.onPacket(from, payload));
    this.sync = new SyncChannel({
      id: this.id,
      transport: this.transport,
      clock: this.clock,
      config: this.config,
      metrics: this.metrics,
      swim: this.swim,
      replica: this.replica,
      peerDigests: this.peerDigests,
      stamp: (body) => this.stamp(body),
      sendAll: (out) => this.sendAll(out),
      wake: () => this.wake(),
      closed: () => this.closed,
      synced: () => {
        this.syncedAtMs ??= this.clock.now();
      },
    });
    this.transport.onRequest((from, payload) => this.sync.answer(from, payload));
    this.wake();
  }

  get address(): string {
    return this.transport.address;
  }

  // ---- public API ----

  async join(seeds: string[]): Promise<number> {
    const results = await Promise.all(
      seeds.filter((s) => s !== this.address).map((s) => this.sync.pushPull(s, true)),
    );
    return results.filter(Boolean).length;
  }

  leave(): void {
    this.swim.leave(this.clock.now());
    // Tell several members right away; gossip rounds keep spreading it until close().
    const peers = this.swim.randomPeers(Math.max(this.config.gossipFanout, 8));
    for (const p of peers) this.sendGossip(p.addr);
    this.wake();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.transport.close();
  }

  publish(kind: EntryKind, value: unknown): RegistryEntry {
    const e = this.replica.publish(kind, value, this.clock.now());
    this.wake();
    return e;
  }

  remove(kind: EntryKind, id?: string): RegistryEntry | undefined {
    const e = this.replica.remove(entryKey(kind, id), this.clock.now());
    this.wake();
    return e;
  }

  entries(kind?: EntryKind): RegistryEntry[] {
    return this.replica.entries(kind);
  }

  entry(origin: string, key: string): RegistryEntry | undefined {
    const s = this.replica.store.get(origin, key);
    return s && !s.entry.deleted ? s.entry : undefined;
  }

  digest(): Digest {
    return this.replica.store.digest();
  }

  syncedAt(): number | undefined {
    return this.syncedAtMs;
  }

  members(): MemberView[] {
    return this.swim.members().map(view);
  }

  member(id: string): MemberView | undefined {
    const m = this.swim.member(id);
    return m ? view(m) : undefined;
  }

  route(workspaceId: string): Route {
    return routeWorkspace(
      this.replica.claims(workspaceId),
      (origin) => {
        const m = this.swim.member(origin);
        const entry = this.replica.memberEntry(origin);
        return { state: m?.state ?? 'unknown', addr: m?.addr, proxyUrl: entry?.proxyUrl };
      },
      this.config,
      this.swim.liveCount(),
    );
  }

  reportUnreachable(id: string): void {
    if (this.closed) return;
    this.sendAll(this.swim.contactFailed(this.clock.now(), id));
    this.wake();
  }

  subscribe(listener: (event: MeshEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): MeshStatus {
    const members = this.members();
    const memberStates = { alive: 0, suspect: 0, dead: 0, left: 0 };
    for (const m of members) memberStates[m.state]++;
    const entries = { workspace: 0, member: 0, keyset: 0, revocation: 0 };
    let tombstones = 0;
    for (const s of this.replica.store.all()) {
      if (s.entry.deleted) tombstones++;
      else entries[s.entry.kind]++;
    }
    return {
      id: this.id,
      address: this.address,
      protocolVersion: PROTOCOL_VERSION,
      incarnation: this.swim.self.incarnation,
      awareness: this.swim.awareness,
      members,
      memberStates,
      registry: { digest: this.digest(), entries, tombstones, synced: this.syncedAtMs !== undefined },
      metrics: structuredClone(this.metrics),
    };
  }

  idle(): Promise<void> {
    return this.replica.idle();
  }

  /** Keys that may sign `origin`'s claims about itself: proven by its entries, or known to the trust outright. */
  private claimKeys(origin: string) {
    const proven = this.replica?.keysOf(origin);
    if (proven) return proven;
    const r = this.trust.keyFor(origin, undefined);
    return r instanceof Promise || !r.ok ? undefined : r.keys;
  }

  // ---- timers ----

  private pushPullInterval(): number {
    return pushPullIntervalMs(this.config, this.swim ? this.swim.liveCount() : 1);
  }

  /** Arms the single timer for the earliest due work (an earlier armed timer is kept). */
  private wake(): void {
    if (this.closed) return;
    this.flushChanges();
    const at = Math.min(this.swim.nextDeadline(), this.nextGossipAt, this.nextPushPullAt, this.nextCollectAt);
    if (at >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimer(at - this.clock.now(), () => this.onTimer());
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.closed) return;
    const now = this.clock.now();
    this.sendAll(this.swim.tick(now));
    if (now >= this.nextGossipAt) {
      this.nextGossipAt = now + this.config.gossipIntervalMs;
      this.gossipRound();
    }
    if (now >= this.nextPushPullAt) {
      this.nextPushPullAt = now + this.pushPullInterval();
      const peer = this.swim.randomPeers(1)[0];
      if (peer) void this.sync.pushPull(peer.addr);
      // Reconnect (like Serf): after a partition heals both sides think the other dead and stop probing it;
      // one push-pull with a dead member lets each side refute and revives the other.
      const dead = this.swim.members().filter((m) => m.state === 'dead');
      const lost = sample(this.random, dead, 1)[0];
      if (lost) void this.sync.pushPull(lost.addr);
    }
    if (now >= this.nextCollectAt) {
      this.nextCollectAt = now + this.config.tombstoneMinAgeMs;
      this.collect(now);
    }
    this.wake();
  }

  private collect(now: number): void {
    const peers = this.swim.peers();
    const acked = (origin: string, version: number) =>
      peers.every((p) => (this.peerDigests.get(p.id)?.[origin] ?? 0) >= version);
    this.metrics.tombstonesCollected += this.replica.store.collectTombstones(
      now,
      this.config.tombstoneMinAgeMs,
      this.config.tombstoneMaxAgeMs,
      acked,
    );
    for (const id of this.peerDigests.keys()) {
      const m = this.swim.member(id);
      if (!m || m.state === 'dead' || m.state === 'left') this.peerDigests.delete(id);
    }
  }

  // ---- packets ----

  private stamp(body: MessageBody): Message {
    return { v: PROTOCOL_VERSION, from: this.id, ...body } as Message;
  }

  private sendAll(out: Outgoing[]): void {
    for (const o of out) {
      if (o.reliable) void this.sync.reliablePing(o.to, o.body, o.reliable.timeoutMs);
      else this.send(o.to, o.body, o.updates);
    }
  }

  private send(to: string, body: MessageBody, updates?: MemberUpdate[]): void {
    const msg = this.stamp(body) as Message & { g?: unknown[]; e?: unknown[] };
    if (updates) msg.g = updates;
    if (body.type === 'ping' || body.type === 'ack' || body.type === 'ping-req') {
      const pb = this.broadcasts.take(this.config.maxPacketBytes - jsonBytes(msg) - 16, this.limit());
      if (pb.g.length) msg.g = [...(updates ?? []), ...pb.g];
      if (pb.e.length) msg.e = pb.e;
    }
    this.sendBytes(to, encodeMessage(msg));
  }

  private sendBytes(to: string, bytes: Uint8Array): void {
    this.metrics.packetsOut++;
    this.metrics.gossipBytesOut += bytes.byteLength;
    this.transport.send(to, bytes);
  }

  private limit(): number {
    return retransmitLimit(this.config, this.swim.liveCount());
  }

  private gossipRound(): void {
    if (this.broadcasts.size === 0) return;
    for (const p of this.swim.randomPeers(this.config.gossipFanout)) {
      if (!this.sendGossip(p.addr)) break;
    }
  }

  private sendGossip(to: string): boolean {
    const base = this.stamp({ type: 'gossip' });
    const pb = this.broadcasts.take(this.config.maxPacketBytes - jsonBytes(base) - 16, this.limit());
    if (pb.g.length === 0 && pb.e.length === 0) return false;
    this.sendBytes(to, encodeMessage({ ...base, g: pb.g, e: pb.e } as Message));
    return true;
  }

  private onPacket(from: string, payload: Uint8Array): void {
    if (this.closed) return;
    this.metrics.packetsIn++;
    this.metrics.gossipBytesIn += payload.byteLength;
    const d = decodeMessage(payload);
    if (!d.ok) {
      this.metrics.droppedMessages[d.reason]++;
      return;
    }
    const msg = d.message;
    const now = this.clock.now();
    switch (msg.type) {
      case 'ping':
        this.piggyback(now, from, msg.g, msg.e);
        this.sendAll(this.swim.onPing(from, msg.seq));
        break;
      case 'ack':
        this.piggyback(now, from, msg.g, msg.e);
        this.sendAll(this.swim.onAck(msg));
        break;
      case 'ping-req':
        this.piggyback(now, from, msg.g, msg.e);
        this.sendAll(this.swim.onPingReq(now, from, msg));
        break;
      case 'nack':
        this.swim.onNack(msg);
        break;
      case 'gossip':
        this.piggyback(now, from, msg.g, msg.e);
        break;
      default:
        this.metrics.droppedMessages.unexpected++;
    }
    this.wake();
  }

  private piggyback(now: number, from: string, g: unknown[] | undefined, e: unknown[] | undefined): void {
    if (g?.length) this.sendAll(this.swim.applyUpdates(now, from, this.sync.memberUpdates(g)));
    if (e?.length) {
      const r = this.replica.ingest(e, 'gossip', () => this.clock.now());
      if (r) void r.then(() => this.wake());
    }
  }

  // ---- events ----

  private flushChanges(): void {
    for (const c of this.swim.drainChanges()) {
      this.emit({ type: 'member', member: view(c.member as Member), previous: c.previous });
    }
  }

  private emit(e: MeshEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A subscriber's bug must not break the mesh.
      }
    }
  }
}
