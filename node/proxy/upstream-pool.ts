// A keep-alive HTTP/1.1 client over pooled raw sockets on the event loop (no thread hop): to workspace apps on
// loopback, and with deadlines to the nodes that host workspaces elsewhere.
import type { Socket } from 'bun';
import {
  type BodyProgress,
  bodyDone,
  parseResponseHead,
  type ResponseHead,
  startBody,
  takeBody,
} from './http1-parser.ts';
import { IdleSockets } from './idle-sockets.ts';

interface Conn {
  /** `host:port` of the app: the idle pool's key (apps in network namespaces may share a port number). */
  key: string;
  exchange: Exchange | undefined;
  /** Bytes of the request head the kernel did not take yet. */
  pending: Buffer | undefined;
  reused: boolean;
}
type Sock = Socket<Conn>;

/** Why an exchange got no response: the caller decides whether that says something about the host. */
export type UpstreamFailure = 'refused' | 'connect_timeout' | 'no_response' | 'closed' | 'aborted';

export class UpstreamError extends Error {
  constructor(readonly code: UpstreamFailure) {
    super(`upstream: ${code}`);
  }
}

/** Deadlines of an exchange with a host across the network (none for apps on loopback). */
export interface Deadlines {
  /** The connection must open within this. */
  connectTimeoutMs: number;
  /** The response head must start within this after the request was written… */
  firstByteTimeoutMs: number;
  /** …unless this, asked when it passes, says the host is still there: then the wait goes on. */
  stillThere?: () => Promise<boolean>;
}

/** A request in flight: its outcome, and a way to give up on it. */
export interface PendingExchange {
  result: Promise<Response | UpstreamError>;
  /** Ends the exchange (and its connection) unless a response already started; the result is `aborted`. */
  abort(): void;
}

/** Sends body-less requests (GET, HEAD, …) to loopback apps over reused connections. */
export class UpstreamPool {
  private readonly idle = new IdleSockets<Sock>();

  /**
   * Sends `head` (a complete request head without body) to `port`; resolves with the response as it streams,
   * or with `fallback()` when the app cannot be reached (never rejects: one promise less on the hot path).
   */
  request(
    host: string,
    port: number,
    head: string,
    noBody: boolean,
    fallback: () => Response,
  ): Promise<Response> {
    return new Promise<Response>((resolve) => {
      this.start(new Exchange(this, host, port, head, noBody, undefined, resolve, () => resolve(fallback())));
    });
  }

  /** Like `request`, with deadlines, for a host across the network; failures come back as UpstreamError. */
  exchange(host: string, port: number, head: string, noBody: boolean, deadlines: Deadlines): PendingExchange {
    let ex: Exchange | undefined;
    const result = new Promise<Response | UpstreamError>((resolve) => {
      ex = new Exchange(this, host, port, head, noBody, deadlines, resolve, (e) =>
        resolve(e instanceof UpstreamError ? e : new UpstreamError('closed')),
      );
      this.start(ex);
    });
    return { result, abort: () => ex?.cancel('aborted') };
  }

  /** Closes the idle sockets to `host:port` (after it failed: they are likely as dead as the one that did). */
  dropIdle(host: string, port: number): void {
    this.idle.drop(`${host}:${port}`);
  }

  /** Closes every idle socket. */
  close(): void {
    this.idle.close();
  }

  private start(ex: Exchange): void {
    const sock = this.idle.take(`${ex.host}:${ex.port}`);
    if (sock) this.send(sock, ex);
    else this.connect(ex);
  }

  connect(ex: Exchange): void {
    ex.connecting();
    Bun.connect<Conn>({
      hostname: ex.host,
      port: ex.port,
      data: { key: `${ex.host}:${ex.port}`, exchange: undefined, pending: undefined, reused: false },
      socket: {
        open: (s) => {
          // Given up on while connecting (a deadline): the connection is of no use now.
          if (ex.settled) s.terminate();
          else this.send(s, ex);
        },
        data: (s, chunk) => {
          const e = s.data.exchange;
          if (e) e.onData(s, chunk);
          else s.terminate(); // bytes nobody asked for: the connection is out of step
        },
        drain: (s) => {
          const p = s.data.pending;
          if (!p) return;
          const n = s.write(p);
          s.data.pending = n < p.length ? p.subarray(n) : undefined;
        },
        close: (s) => this.onClose(s),
        error: (s) => this.onClose(s),
        connectError: () => ex.fail(new UpstreamError('refused')),
      },
    }).catch(() => ex.fail(new UpstreamError('refused')));
  }

  private send(sock: Sock, ex: Exchange): void {
    sock.data.exchange = ex;
    ex.reused = sock.data.reused;
    const bytes = Buffer.from(ex.requestHead, 'latin1');
    const n = sock.write(bytes);
    if (n < bytes.length) sock.data.pending = bytes.subarray(Math.max(0, n));
    ex.sent(sock);
  }

  /** The exchange on `sock` is complete: keep the connection for the next request or close it. */
  release(sock: Sock, keepAlive: boolean): void {
    sock.data.exchange = undefined;
    sock.data.pending = undefined;
    if (!keepAlive) {
      sock.end();
      return;
    }
    sock.data.reused = true;
    this.idle.park(sock.data.key, sock);
  }

  private onClose(sock: Sock): void {
    const ex = sock.data.exchange;
    sock.data.exchange = undefined;
    this.idle.remove(sock.data.key, sock);
    ex?.onClose(sock);
  }
}

/** One request/response on a pooled connection. */
class Exchange {
  reused = false;
  private retried = false;
  private buf: Buffer | undefined;
  private response: ResponseHead | undefined;
  private body: BodyProgress = { kind: 'none' };
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  settled = false;
  private sock: Sock | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly pool: UpstreamPool,
    readonly host: string,
    readonly port: number,
    readonly requestHead: string,
    private readonly noBody: boolean,
    private readonly deadlines: Deadlines | undefined,
    private readonly resolve: (r: Response) => void,
    private readonly reject: (e: Error) => void,
  ) {}

  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimer();
    this.reject(err);
  }

  /** Gives up before the response started: the connection, half-used, is closed. */
  cancel(code: UpstreamFailure): void {
    if (this.settled) return;
    this.fail(new UpstreamError(code));
    this.sock?.terminate();
  }

  /** A new connection is being opened for this exchange. */
  connecting(): void {
    const d = this.deadlines;
    if (!d) return;
    this.clearTimer();
    this.timer = setTimeout(() => this.cancel('connect_timeout'), d.connectTimeoutMs);
  }

  /**
   * The request went out on `sock`: the first-byte deadline runs from now. A fresh connection has just shown the
   * path works; a reused one shows nothing about now (a partition since leaves it open and silent), so there
   * the host is asked to prove itself once the connect timeout has passed without an answer.
   */
  sent(sock: Sock): void {
    this.sock = sock;
    this.clearTimer();
    const d = this.deadlines;
    if (d) this.awaitFirstByte(d, this.reused && d.stillThere ? d.connectTimeoutMs : d.firstByteTimeoutMs);
  }

  private awaitFirstByte(d: Deadlines, ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.settled) return;
      if (!d.stillThere) return this.cancel('no_response');
      void d.stillThere().then((there) => {
        if (this.settled) return;
        if (there) this.awaitFirstByte(d, d.firstByteTimeoutMs);
        else this.cancel('no_response');
      });
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  onData(sock: Sock, chunk: Buffer): void {
    try {
      if (this.response === undefined) this.onHeadBytes(sock, chunk);
      else this.onBody(sock, chunk);
    } catch (e) {
      sock.terminate();
      this.abort(e as Error);
    }
  }

  private onHeadBytes(sock: Sock, chunk: Buffer): void {
    const buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    const parsed = parseResponseHead(buf, this.noBody);
    if (!parsed) {
      this.buf = buf;
      return;
    }
    this.buf = undefined;
    const [head, used] = parsed;
    if (head.status >= 100 && head.status < 200) {
      // An interim response (100 Continue): the real one follows.
      if (used < buf.length) this.onHeadBytes(sock, buf.subarray(used));
      return;
    }
    this.response = head;
    const rest = buf.subarray(used);
    const init = { status: head.status, statusText: head.statusText, headers: head.headers };
    const body = startBody(head.framing);
    const pieces: Buffer[] = [];
    const n = takeBody(body, rest, pieces);
    if (bodyDone(body)) {
      // The whole body came with the head: answer with bytes, no stream.
      const bytes = body.kind === 'none' ? null : pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
      this.settle(new Response(bytes as Uint8Array<ArrayBuffer> | null, init));
      this.pool.release(sock, head.keepAlive && n === rest.length);
      return;
    }
    this.body = body;
    this.settle(new Response(this.stream(sock, pieces), init));
  }

  private onBody(sock: Sock, chunk: Buffer): void {
    const c = this.controller;
    if (!c) return;
    const pieces: Buffer[] = [];
    const n = takeBody(this.body, chunk, pieces);
    for (const p of pieces) c.enqueue(p);
    if (bodyDone(this.body)) {
      this.endStream();
      this.pool.release(sock, this.response!.keepAlive && n === chunk.length);
      return;
    }
    // Backpressure: stop reading from the app while the client is slower than it.
    if ((c.desiredSize ?? 1) <= 0) sock.pause();
  }

  private stream(sock: Sock, first: Buffer[]): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
          for (const p of first) controller.enqueue(p);
        },
        pull: () => {
          sock.resume();
        },
        cancel: () => {
          // The client went away mid-body: this connection cannot be reused.
          this.controller = undefined;
          sock.terminate();
        },
      },
      { highWaterMark: 16 },
    );
  }

  private endStream(): void {
    const c = this.controller;
    this.controller = undefined;
    c?.close();
  }

  onClose(sock: Sock): void {
    if (this.response === undefined) {
      // A kept-alive connection the app closed just as we reused it: try once more on a fresh one.
      if (this.reused && !this.retried && !this.settled && this.buf === undefined) {
        this.retried = true;
        this.reused = false;
        this.pool.connect(this);
        return;
      }
      this.fail(new UpstreamError('closed'));
      return;
    }
    if (this.controller) {
      if (this.body.kind === 'close') this.endStream();
      else this.abort(new Error('upstream closed mid-body'));
    }
    void sock;
  }

  private abort(err: Error): void {
    if (!this.settled) {
      this.fail(err);
      return;
    }
    const c = this.controller;
    this.controller = undefined;
    c?.error(err);
  }

  private settle(r: Response): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimer();
    this.resolve(r);
  }
}
