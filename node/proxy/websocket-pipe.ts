// The raw front's WebSocket byte pipe: frames pass untouched, yet the node can still end it with a close code.

/**
 * Follows WebSocket frame boundaries (RFC 6455 §5.2) in one direction of a byte stream without copying payloads,
 * so a close frame can be put between two frames, never inside one.
 */
export class FrameCursor {
  /** Header bytes of the frame being read, while they arrive split across chunks. */
  private head: Buffer | undefined;
  /** Payload bytes of the current frame still to come. */
  private left = 0;

  /** True when the bytes so far end exactly between two frames. */
  get atBoundary(): boolean {
    return this.head === undefined && this.left === 0;
  }

  /**
   * Walks `chunk` and returns how many of its bytes it took: all of them, or with `toBoundary`, those up to the
   * first frame boundary (0 when it is at one already).
   */
  advance(chunk: Buffer, toBoundary = false): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - i);
        this.left -= n;
        i += n;
      } else {
        if (toBoundary && this.head === undefined) return i;
        const had = this.head?.length ?? 0;
        const bytes = this.head
          ? Buffer.concat([this.head, chunk.subarray(i, i + 14)])
          : chunk.subarray(i, i + 14);
        const size = headerSize(bytes);
        if (size === undefined || bytes.length < size) {
          this.head = Buffer.from(bytes);
          return chunk.length;
        }
        this.head = undefined;
        this.left = payloadLength(bytes);
        i += size - had;
      }
      if (toBoundary && this.atBoundary) return i;
    }
    return i;
  }
}

/** Bytes of a frame header, once its first two bytes are known. */
function headerSize(b: Buffer): number | undefined {
  if (b.length < 2) return undefined;
  const len = b[1]! & 0x7f;
  return 2 + (len === 126 ? 2 : len === 127 ? 8 : 0) + (b[1]! & 0x80 ? 4 : 0);
}

function payloadLength(b: Buffer): number {
  const len = b[1]! & 0x7f;
  if (len === 126) return b.readUInt16BE(2);
  // A length past 2^53 cannot be sent in practice; it only keeps the cursor inside that frame.
  if (len === 127) return Number(b.readBigUInt64BE(2));
  return len;
}

/** A close frame; `masked` for one a client sends (RFC 6455 §5.3). The reason is cut to fit a control frame. */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  if (!masked) return Buffer.concat([Buffer.from([0x88, payload.length]), payload]);
  const mask = crypto.getRandomValues(Buffer.alloc(4));
  for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, payload]);
}

export interface WebSocketPipeEnds {
  toClient(bytes: Buffer): void;
  toApp(bytes: Buffer): void;
  /** Closes both connections (after what was written reaches them). */
  close(): void;
  /** Cuts both connections at once. */
  abort(): void;
}

/** How long `end` waits for a frame the app is in the middle of sending before it cuts the connections. */
const FRAME_GRACE_MS = 500;

/**
 * The bytes of one upgraded WebSocket between a client and the app, passed on as they are. `end` stops it the
 * way the full server's bridge would: nothing more from the client reaches the app, and once the frame the app
 * is sending is through, the client gets a close frame with the code (the app one too, when the client was
 * between frames), then both connections close.
 */
export class WebSocketPipe {
  private readonly fromAppCursor = new FrameCursor();
  private readonly fromClientCursor = new FrameCursor();
  private ending: { code: number; reason: string; timer: ReturnType<typeof setTimeout> } | undefined;
  private done = false;

  constructor(private readonly ends: WebSocketPipeEnds) {}

  /** Bytes the app sent. */
  fromApp(chunk: Buffer): void {
    if (this.done) return;
    if (!this.ending) {
      this.fromAppCursor.advance(chunk);
      this.ends.toClient(chunk);
      return;
    }
    const n = this.fromAppCursor.advance(chunk, true);
    if (n > 0) this.ends.toClient(chunk.subarray(0, n));
    if (this.fromAppCursor.atBoundary) this.finish();
  }

  /** Bytes the client sent; dropped once the pipe is ending. */
  fromClient(chunk: Buffer): void {
    if (this.ending || this.done) return;
    this.fromClientCursor.advance(chunk);
    this.ends.toApp(chunk);
  }

  /** Ends the pipe with `code` (see the class comment). */
  end(code: number, reason: string): void {
    if (this.ending || this.done) return;
    const timer = setTimeout(() => {
      this.done = true;
      this.ends.abort();
    }, FRAME_GRACE_MS);
    this.ending = { code, reason, timer };
    if (this.fromAppCursor.atBoundary) this.finish();
  }

  /** The connections closed: nothing more to do. */
  dispose(): void {
    this.done = true;
    if (this.ending) clearTimeout(this.ending.timer);
  }

  private finish(): void {
    const e = this.ending!;
    clearTimeout(e.timer);
    this.done = true;
    this.ends.toClient(closeFrame(e.code, e.reason, false));
    // Between two of the client's frames the app can be told too; inside one, the cut connection tells it.
    if (this.fromClientCursor.atBoundary) this.ends.toApp(closeFrame(e.code, e.reason, true));
    this.ends.close();
  }
}
