// Transport: how mesh nodes reach each other — best-effort packets plus reliable request/response.

/** Raised by a transport; `retryable` says whether trying again later may succeed. */
export class TransportError extends Error {
  constructor(
    readonly code: 'unreachable' | 'timeout' | 'closed' | 'too-large' | 'remote-error',
    message: string,
    readonly retryable = code !== 'too-large',
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Receives a best-effort packet; `from` is the sender's transport address. */
export type PacketHandler = (from: string, payload: Uint8Array) => void;
/** Answers a reliable request; a rejection makes the caller's request fail. */
export type RequestHandler = (from: string, payload: Uint8Array) => Promise<Uint8Array> | Uint8Array;

/**
 * The mesh's view of the network. Addresses are opaque strings (`host:port` for UDP). Packets may be
 * lost, duplicated or reordered and are small (≤ maxPacketBytes); requests carry push-pull state of any
 * size up to the transport's limit and either complete or fail.
 */
export interface Transport {
  /** The address other members use to reach this one. */
  readonly address: string;
  /** Sends one packet, best effort; never throws for an unreachable peer. */
  send(to: string, payload: Uint8Array): void;
  /** Sends a request and resolves with the response, or rejects with a TransportError. */
  request(to: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Installs the packet handler (one per transport). */
  onPacket(handler: PacketHandler): void;
  /** Installs the request handler (one per transport). */
  onRequest(handler: RequestHandler): void;
  /** Stops sending and receiving; pending requests reject with `closed`. */
  close(): Promise<void>;
}
