// MeshNode: the shell around the pure cores — decodes packets, drives timers, runs push-pull, emits events.
import type { Digest, EntryKind, MemberState, RegistryEntry } from '../contract/index.ts';
import { BroadcastQueue } from './broadcast-queue.ts';
import { type Clock, systemClock, type Timer } from './clock.ts';
import { defaultMeshConfig, type MeshConfig, pushPullIntervalMs, retransmitLimit } from './config.ts';
import type { Member, MemberSeed } from './membership/member.ts';
import { type Outgoing, Swim } from './membership/swim.ts';
import { createMeshMetrics, type MeshMetrics } from './metrics.ts';
import {
  decodeMemberUpdate,
  decodeMessage,
  encodeMessage,
  jsonBytes,
  type MemberUpdate,
  type Message,
  type MessageBody,
  PROTOCOL_VERSION,
} from './protocol.ts';
import { type Random, sample, systemRandom } from './random.ts';
import { diff } from './registry/digest.ts';
import { RegistryReplica } from './registry/replica.ts';
import { type PrivateKeyInput, toPrivateKey } from './registry/signature.ts';
import type { OriginTrust } from './registry/trust.ts';
import { entryKey } from './registry/validation.ts';
import { type Route, routeWorkspace } from './routing.ts';
import type { Transport } from './transport.ts';

/** Who this node is in the mesh. */
export interface MeshIdentity {
  /** Origin name: the node id, or `control` for the control plane. */
  origin: string;
  /** Ed25519 key that signs this origin's entries. */
  privateKey: PrivateKeyInput;
  /** The node certificate (JWT) vouching for the key; also published in the member entry. */
  certificate?: string;
}

/** Inputs of createMeshNode. */
export interface MeshNodeOptions {
  transport: Transport;
  identity: MeshIdentity;
  trust: OriginTrust;
  config?: MeshConfig;
  clock?: Clock;
  random?: Random;
  /** Starting incarnation; default: the clock in seconds, above any incarnation of a previous life. */
  incarnation?: number;
  /** Members known up front (e.g. from the join response); probed like any other. */
  initialMembers?: MemberSeed[];
  /** Simulator only: a frozen member table shared by many nodes, copied on write. */
  sharedMembers?: ReadonlyMap<string, Readonly<Member>>;
}

/** A member as callers see it. */
export interface MemberView {
  id: string;
  addr: string;
  incarnation: number;
  state: MemberState;
  since: number;
}

/** What subscribers hear. */
export type MeshEvent =
  | { type: 'entry'; entry: RegistryEntry; previous: RegistryEntry | undefined }
  | { type: 'member'; member: MemberView; previous: MemberState | undefined };

/** The public face of one mesh member. */
export interface MeshNode {
  readonly id: string;
  readonly address: string;
  readonly metrics: MeshMetrics;
  /** Push-pull with each seed address; resolves with how many answered. */
  join(seeds: string[]): Promise<number>;
  /** Announces a graceful leave and keeps gossiping it until close(). */
  leave(): void;
  /** Stops timers and the transport. */
  close(): Promise<void>;
  /** Signs and publishes one of this origin's entries; the key is derived from kind and value. */
  publish(kind: EntryKind, value: unknown): RegistryEntry;
  /** Deletes one of this origin's entries (a tombstone); `id` is the workspace id or revocation subject. */
  remove(kind: EntryKind, id?: string): RegistryEntry | undefined;
  /** Live entries held, optionally of one kind. */
  entries(kind?: EntryKind): RegistryEntry[];
  /** One live entry. */
  entry(origin: string, key: string): RegistryEntry | undefined;
  digest(): Digest;
  members(): MemberView[];
  member(id: string): MemberView | undefined;
  route(workspaceId: string): Route;
  subscribe(listener: (event: MeshEvent) => void): () => void;
  /** Resolves when no asynchronous certificate check is pending (tests, simulator). */
  idle(): Promise<void>;
}

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
  private readonly listeners = new Set<(e: MeshEvent) => void>();
  private readonly peerDigests = new Map<string, Digest>();
  private timer: Timer | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private nextGossipAt: number;
  private nextPushPullAt: number;
  private nextCollectAt: number;
  private closed = false;

  constructor(o: MeshNodeOptions) {
    this.transport = o.transport;
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? systemRandom;
    this.config = o.config ?? defaultMeshConfig();
    this.id = o.identity.origin;
    const now = this.clock.now();
    this.swim = new Swim({
      self: { id: this.id, addr: o.transport.address },
      incarnation: o.incarnation ?? Math.floor(now / 1000),
      config: this.config,
      random: this.random,
      metrics: this.metrics,
      broadcasts: this.broadcasts,
      now,
      sharedMembers: o.sharedMembers,
    });
    if (o.initialMembers) this.swim.addSeeds(o.initialMembers, now);
    this.replica = new RegistryReplica({
      origin: this.id,
      privateKey: toPrivateKey(o.identity.privateKey),
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
    this.transport.onRequest((from, payload) => this.onRequest(from, payload));
    this.wake();
  }

  get address(): string {
    return this.transport.address;
  }

  // ---- public API ----

  async join(seeds: string[]): Promise<number> {
    const results = await Promise.all(
      seeds.filter((s) => s !== this.address).map((s) => this.pushPull(s, true)),
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

  subscribe(listener: (event: MeshEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  idle(): Promise<void> {
    return this.replica.idle();
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
      if (peer) void this.pushPull(peer.addr);
      // Reconnect (like Serf): after a partition heals both sides think the other dead and stop probing it;
      // one push-pull with a dead member lets each side refute and revives the other.
      const dead = this.swim.members().filter((m) => m.state === 'dead');
      const lost = sample(this.random, dead, 1)[0];
      if (lost) void this.pushPull(lost.addr);
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
      if (o.reliable) void this.reliablePing(o.to, o.body, o.reliable.timeoutMs);
      else this.send(o.to, o.body, o.updates);
    }
  }

  /** The fallback probe over the request path; its ack is handled like one that came as a packet. */
  private async reliablePing(to: string, body: MessageBody, timeoutMs: number): Promise<void> {
    const bytes = encodeMessage(this.stamp(body));
    this.metrics.syncBytesOut += bytes.byteLength;
    try {
      const reply = await this.transport.request(to, bytes, timeoutMs);
      this.metrics.syncBytesIn += reply.byteLength;
      const d = decodeMessage(reply);
      if (d.ok && d.message.type === 'ack') this.sendAll(this.swim.onAck(d.message));
    } catch {
      // No answer in time: the probe fails at its deadline as usual.
    } finally {
      this.wake();
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

  private memberUpdates(raw: readonly unknown[] | undefined): MemberUpdate[] {
    const out: MemberUpdate[] = [];
    for (const r of raw ?? []) {
      const u = decodeMemberUpdate(r);
      if (u) out.push(u);
      else this.metrics.droppedMessages.malformed++;
    }
    return out;
  }

  private piggyback(now: number, from: string, g: unknown[] | undefined, e: unknown[] | undefined): void {
    if (g?.length) this.sendAll(this.swim.applyUpdates(now, from, this.memberUpdates(g)));
    if (e?.length) {
      const r = this.replica.ingest(e, 'gossip', () => this.clock.now());
      if (r) void r.then(() => this.wake());
    }
  }

  // ---- push-pull ----

  /**
   * One push-pull round with `to`. On join we report our own origin at version 0: a fresh process does not
   * know what a previous life of this origin left in the registry, so it asks for all of it (and deletes it).
   */
  private async pushPull(to: string, joining = false): Promise<boolean> {
    if (this.closed) return false;
    const digest = this.replica.store.digest();
    if (joining) digest[this.id] = 0;
    const request = encodeMessage(this.stamp({ type: 'sync', members: this.swim.records(), digest }));
    try {
      const reply = await this.call(to, request);
      if (reply?.type !== 'sync-reply') return false;
      this.peerDigests.set(reply.from, reply.digest);
      const now = this.clock.now();
      this.sendAll(this.swim.applyUpdates(now, to, this.memberUpdates(reply.members), true, reply.from));
      await this.replica.ingest(reply.entries, 'sync', () => this.clock.now(), reply.covered);
      const delta = this.replicaDiff(reply.digest);
      if (delta.entries.length > 0 || Object.keys(delta.covered).length > 0) {
        const push = this.stamp({ type: 'sync-push', entries: delta.entries, covered: delta.covered });
        await this.call(to, encodeMessage(push));
      }
      this.metrics.syncs++;
      return true;
    } catch {
      this.metrics.syncFailures++;
      return false;
    } finally {
      this.wake();
    }
  }

  private replicaDiff(theirs: Digest) {
    return diff(this.replica.store, theirs, this.config.maxSyncBytes);
  }

  private async call(to: string, request: Uint8Array): Promise<Message | undefined> {
    this.metrics.syncBytesOut += request.byteLength;
    const bytes = await this.transport.request(to, request, this.config.syncTimeoutMs);
    this.metrics.syncBytesIn += bytes.byteLength;
    const d = decodeMessage(bytes);
    if (!d.ok) {
      this.metrics.droppedMessages[d.reason]++;
      return undefined;
    }
    return d.message;
  }

  private async onRequest(from: string, payload: Uint8Array): Promise<Uint8Array> {
    this.metrics.syncBytesIn += payload.byteLength;
    const d = decodeMessage(payload);
    if (!d.ok) {
      this.metrics.droppedMessages[d.reason]++;
      throw new Error(d.reason);
    }
    const msg = d.message;
    let reply: Message;
    if (msg.type === 'ping') {
      const acks = this.swim.onPing(from, msg.seq);
      if (acks.length === 0) throw new Error('leaving');
      reply = this.stamp({ type: 'ack', seq: msg.seq });
    } else if (msg.type === 'sync') {
      this.peerDigests.set(msg.from, msg.digest);
      this.sendAll(
        this.swim.applyUpdates(this.clock.now(), from, this.memberUpdates(msg.members), true, msg.from),
      );
      const delta = this.replicaDiff(msg.digest);
      reply = this.stamp({
        type: 'sync-reply',
        members: this.swim.records(),
        digest: this.replica.store.digest(),
        entries: delta.entries,
        covered: delta.covered,
      });
    } else if (msg.type === 'sync-push') {
      await this.replica.ingest(msg.entries, 'sync', () => this.clock.now(), msg.covered);
      reply = this.stamp({ type: 'sync-done' });
    } else {
      this.metrics.droppedMessages.unexpected++;
      throw new Error('unexpected request');
    }
    this.wake();
    const bytes = encodeMessage(reply);
    this.metrics.syncBytesOut += bytes.byteLength;
    return bytes;
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
