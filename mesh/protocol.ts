// The wire protocol: PROTOCOL_VERSION, every message shape, and decoding that never throws.
import * as v from 'valibot';
import { Digest, MemberState } from '../contract/index.ts';
import type { MessageDropReason } from './metrics.ts';

/**
 * Version of the mesh wire protocol; a message with another `v` is counted and dropped.
 * History:
 * - 1 (2026-11-23): SWIM ping/ack/ping-req/nack with piggybacked member updates and registry entries,
 *   gossip packets, push-pull sync (sync → sync-reply → sync-push → sync-done) with per-origin digests;
 *   alive and left claims signed by the member they are about; a ping may also travel as a request.
 */
export const PROTOCOL_VERSION = 1;

/** Hard upper bound of any decoded message, so a hostile peer cannot make us parse megabytes of JSON. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const Addr = v.pipe(v.string(), v.minLength(1), v.maxLength(256));
const Seq = v.pipe(v.number(), v.integer(), v.minValue(0));
const Incarnation = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

/** One member's state as gossiped: a claim by `by` (the accuser, for suspect/dead) about `id`. */
export const MemberUpdate = v.object({
  id: Id,
  addr: Addr,
  inc: Incarnation,
  state: MemberState,
  by: v.optional(Id),
  /** The member's own signature over an alive or left claim about itself (see membership/claim-signature.ts). */
  sig: v.optional(v.pipe(v.string(), v.maxLength(128))),
});
export type MemberUpdate = v.InferOutput<typeof MemberUpdate>;

/** Piggybacked items stay `unknown` until each one is checked on its own: one bad item never spoils a packet. */
const Piggyback = {
  g: v.optional(v.pipe(v.array(v.unknown()), v.maxLength(256))),
  e: v.optional(v.pipe(v.array(v.unknown()), v.maxLength(256))),
};
const header = { v: v.literal(PROTOCOL_VERSION), from: Id };

export const Ping = v.object({ ...header, type: v.literal('ping'), seq: Seq, ...Piggyback });
export const Ack = v.object({ ...header, type: v.literal('ack'), seq: Seq, ...Piggyback });
export const PingReq = v.object({
  ...header,
  type: v.literal('ping-req'),
  seq: Seq,
  target: Id,
  targetAddr: Addr,
  ...Piggyback,
});
export const Nack = v.object({ ...header, type: v.literal('nack'), seq: Seq });
export const Gossip = v.object({ ...header, type: v.literal('gossip'), ...Piggyback });

const BigList = v.pipe(v.array(v.unknown()), v.maxLength(100_000));
export const Sync = v.object({ ...header, type: v.literal('sync'), members: BigList, digest: Digest });
export const SyncReply = v.object({
  ...header,
  type: v.literal('sync-reply'),
  members: BigList,
  digest: Digest,
  entries: BigList,
  /** Per origin: every entry the sender holds above the receiver's digest, up to this version, is included. */
  covered: Digest,
});
export const SyncPush = v.object({
  ...header,
  type: v.literal('sync-push'),
  entries: BigList,
  covered: Digest,
});
export const SyncDone = v.object({ ...header, type: v.literal('sync-done') });

export const Message = v.variant('type', [
  Ping,
  Ack,
  PingReq,
  Nack,
  Gossip,
  Sync,
  SyncReply,
  SyncPush,
  SyncDone,
]);
export type Message = v.InferOutput<typeof Message>;
export type Ping = v.InferOutput<typeof Ping>;
export type Ack = v.InferOutput<typeof Ack>;
export type PingReq = v.InferOutput<typeof PingReq>;
export type Nack = v.InferOutput<typeof Nack>;
export type Gossip = v.InferOutput<typeof Gossip>;
export type Sync = v.InferOutput<typeof Sync>;
export type SyncReply = v.InferOutput<typeof SyncReply>;
export type SyncPush = v.InferOutput<typeof SyncPush>;

/** Distributes Omit over a union, so `WithoutHeader<Message>` keeps each variant. */
export type WithoutHeader<T> = T extends unknown ? Omit<T, 'v' | 'from'> : never;
/** A message as the core builds it; the shell stamps `v` and `from`. */
export type MessageBody = WithoutHeader<Message>;

export type DecodedMessage = { ok: true; message: Message } | { ok: false; reason: MessageDropReason };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Encodes a message as UTF-8 JSON. */
export function encodeMessage(message: Message): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** Decodes bytes into a known message, or the reason it is dropped; never throws. */
export function decodeMessage(bytes: Uint8Array): DecodedMessage {
  if (bytes.byteLength > MAX_MESSAGE_BYTES) return { ok: false, reason: 'oversized' };
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, reason: 'malformed' };
  const version = (raw as { v?: unknown }).v;
  if (version !== PROTOCOL_VERSION) {
    return { ok: false, reason: typeof version === 'number' ? 'unknown-version' : 'malformed' };
  }
  const r = v.safeParse(Message, raw);
  return r.success ? { ok: true, message: r.output } : { ok: false, reason: 'malformed' };
}

/** Checks one piggybacked or synced member update. */
export function decodeMemberUpdate(raw: unknown): MemberUpdate | undefined {
  const r = v.safeParse(MemberUpdate, raw);
  return r.success ? r.output : undefined;
}

/** Byte length of a value as JSON, the unit of every size budget. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
