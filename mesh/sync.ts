// SyncChannel: the reliable request path — push-pull anti-entropy (members and registry) and fallback probes.

import type { Digest } from '../contract/index.ts';
import type { Clock } from './clock.ts';
import type { MeshConfig } from './config.ts';
import type { Outgoing, Swim } from './membership/swim.ts';
import type { MeshMetrics } from './metrics.ts';
import {
  decodeMemberUpdate,
  decodeMessage,
  encodeMessage,
  type MemberUpdate,
  type Message,
  type MessageBody,
} from './protocol.ts';
import { diff } from './registry/digest.ts';
import type { RegistryReplica } from './registry/replica.ts';
import type { Transport } from './transport.ts';

/** What the channel needs from its node. */
export interface SyncContext {
  id: string;
  transport: Transport;
  clock: Clock;
  config: MeshConfig;
  metrics: MeshMetrics;
  swim: Swim;
  replica: RegistryReplica;
  /** Last digest each peer reported, for tombstone collection. */
  peerDigests: Map<string, Digest>;
  stamp(body: MessageBody): Message;
  sendAll(out: Outgoing[]): void;
  wake(): void;
  closed(): boolean;
  /** A push-pull brought in everything the peer held that we lacked (its reply was not cut by the size bound). */
  synced(): void;
}

/** Push-pull with one peer at a time, and the answers to peers' requests. */
export class SyncChannel {
  constructor(private readonly c: SyncContext) {}

  /** The fallback probe over the request path; its ack is handled like one that came as a packet. */
  async reliablePing(to: string, body: MessageBody, timeoutMs: number): Promise<void> {
    const bytes = encodeMessage(this.c.stamp(body));
    this.c.metrics.syncBytesOut += bytes.byteLength;
    try {
      const reply = await this.c.transport.request(to, bytes, timeoutMs);
      this.c.metrics.syncBytesIn += reply.byteLength;
      const d = decodeMessage(reply);
      if (d.ok && d.message.type === 'ack') this.c.sendAll(this.c.swim.onAck(d.message));
    } catch {
      // No answer in time: the probe fails at its deadline as usual.
    } finally {
      this.c.wake();
    }
  }

  /**
   * One push-pull round with `to`. On join we report our own origin at version 0: a fresh process does not
   * know what a previous life of this origin left in the registry, so it asks for all of it (and deletes it).
   */
  async pushPull(to: string, joining = false): Promise<boolean> {
    if (this.c.closed()) return false;
    const digest = this.c.replica.store.digest();
    if (joining) digest[this.c.id] = 0;
    const request = encodeMessage(this.c.stamp({ type: 'sync', members: this.c.swim.records(), digest }));
    try {
      const reply = await this.call(to, request);
      if (reply?.type !== 'sync-reply') return false;
      this.c.peerDigests.set(reply.from, reply.digest);
      const now = this.c.clock.now();
      this.c.sendAll(this.c.swim.applyUpdates(now, to, this.memberUpdates(reply.members), true, reply.from));
      await this.c.replica.ingest(reply.entries, 'sync', () => this.c.clock.now(), reply.covered);
      if (sentEverything(this.c.id, digest, reply.digest, reply.covered)) this.c.synced();
      const delta = this.replicaDiff(reply.digest);
      if (delta.entries.length > 0 || Object.keys(delta.covered).length > 0) {
        const push = this.c.stamp({ type: 'sync-push', entries: delta.entries, covered: delta.covered });
        await this.call(to, encodeMessage(push));
      }
      this.c.metrics.syncs++;
      return true;
    } catch {
      this.c.metrics.syncFailures++;
      return false;
    } finally {
      this.c.wake();
    }
  }

  private replicaDiff(theirs: Digest) {
    return diff(this.c.replica.store, theirs, this.c.config.maxSyncBytes);
  }

  async call(to: string, request: Uint8Array): Promise<Message | undefined> {
    this.c.metrics.syncBytesOut += request.byteLength;
    const bytes = await this.c.transport.request(to, request, this.c.config.syncTimeoutMs);
    this.c.metrics.syncBytesIn += bytes.byteLength;
    const d = decodeMessage(bytes);
    if (!d.ok) {
      this.c.metrics.droppedMessages[d.reason]++;
      return undefined;
    }
    return d.message;
  }

  /** Answers a request from a peer: a fallback ping, a sync or a sync-push. */
  async answer(from: string, payload: Uint8Array): Promise<Uint8Array> {
    this.c.metrics.syncBytesIn += payload.byteLength;
    const d = decodeMessage(payload);
    if (!d.ok) {
      this.c.metrics.droppedMessages[d.reason]++;
      throw new Error(d.reason);
    }
    const msg = d.message;
    let reply: Message;
    if (msg.type === 'ping') {
      const acks = this.c.swim.onPing(from, msg.seq);
      if (acks.length === 0) throw new Error('leaving');
      reply = this.c.stamp({ type: 'ack', seq: msg.seq });
    } else if (msg.type === 'sync') {
      this.c.peerDigests.set(msg.from, msg.digest);
      this.c.sendAll(
        this.c.swim.applyUpdates(this.c.clock.now(), from, this.memberUpdates(msg.members), true, msg.from),
      );
      const delta = this.replicaDiff(msg.digest);
      reply = this.c.stamp({
        type: 'sync-reply',
        members: this.c.swim.records(),
        digest: this.c.replica.store.digest(),
        entries: delta.entries,
        covered: delta.covered,
      });
    } else if (msg.type === 'sync-push') {
      await this.c.replica.ingest(msg.entries, 'sync', () => this.c.clock.now(), msg.covered);
      reply = this.c.stamp({ type: 'sync-done' });
    } else {
      this.c.metrics.droppedMessages.unexpected++;
      throw new Error('unexpected request');
    }
    this.c.wake();
    const bytes = encodeMessage(reply);
    this.c.metrics.syncBytesOut += bytes.byteLength;
    return bytes;
  }

  /** Checks member updates one by one; bad ones are counted and skipped. */
  memberUpdates(raw: readonly unknown[] | undefined): MemberUpdate[] {
    const out: MemberUpdate[] = [];
    for (const r of raw ?? []) {
      const u = decodeMemberUpdate(r);
      if (u) out.push(u);
      else this.c.metrics.droppedMessages.malformed++;
    }
    return out;
  }
}

/**
 * Whether a sync reply carried all the peer held beyond `asked` (what we said we had): the peer marks an origin
 * `covered` only when it sent that origin completely, and stops at the size bound. Our own origin is left out:
 * we are its authority, and on join we ask for it from version 0 only to clear a previous life's leftovers.
 */
export function sentEverything(self: string, asked: Digest, theirs: Digest, covered: Digest): boolean {
  for (const origin in theirs) {
    if (origin === self) continue;
    if ((theirs[origin] ?? 0) > (asked[origin] ?? 0) && covered[origin] === undefined) return false;
  }
  return true;
}
