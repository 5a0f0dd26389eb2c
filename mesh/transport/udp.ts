// The production Transport: UDP datagrams (Bun.udpSocket) for probes and gossip, TCP (Bun.listen/connect) for push-pull.
//
// Why a TCP path rather than request/response over UDP with ids and retries: a push-pull sync carries the
// whole member list and every registry entry the peer lacks — hundreds of kilobytes at 1,000 members, and
// entries may be up to 16 KB each — far beyond one datagram (and Tailscale's 1280-byte MTU). Chunking,
// retransmission and flow control over UDP would re-implement TCP badly. Like memberlist, both sockets
// use the same port number, so one advertised `host:port` address reaches both.
import type { Socket, TCPSocketListener, udp } from 'bun';
import { type PacketHandler, type RequestHandler, type Transport, TransportError } from '../transport.ts';

/** Options of the UDP transport. */
export interface UdpTransportOptions {
  /** Interface to bind, e.g. `127.0.0.1` or a Tailscale IP. */
  hostname: string;
  /** 0 picks a free port (the same number is then bound for TCP). */
  port?: number;
  /** Largest request or response frame accepted over TCP. */
  maxFrameBytes?: number;
}

/** The largest UDP payload that IPv4 can carry. */
const MAX_DATAGRAM = 65_507;

interface Conn {
  received: Uint8Array[];
  receivedBytes: number;
  expected: number;
  pending: Uint8Array | undefined;
  onFrame: (frame: Uint8Array) => void;
  onFail: (err: TransportError) => void;
  endAfterWrite: boolean;
  maxFrameBytes: number;
}

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.byteLength);
  new DataView(out.buffer).setUint32(0, payload.byteLength);
  out.set(payload, 4);
  return out;
}

/** Splits `host:port` (IPv6 as `[::1]:port`). */
export function parseAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new TransportError('unreachable', `bad address ${address}`, false);
  }
  return { host, port };
}

function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function newConn(maxFrameBytes: number): Conn {
  return {
    received: [],
    receivedBytes: 0,
    expected: -1,
    pending: undefined,
    onFrame: () => {},
    onFail: () => {},
    endAfterWrite: false,
    maxFrameBytes,
  };
}

/** Accumulates bytes and calls `onFrame` once a whole length-prefixed frame has arrived. */
function receive(socket: Socket<Conn>, chunk: Uint8Array): void {
  const c = socket.data;
  c.received.push(chunk);
  c.receivedBytes += chunk.byteLength;
  if (c.expected < 0 && c.receivedBytes >= 4) {
    const all = Buffer.concat(c.received);
    c.received = [all];
    c.expected = all.readUInt32BE(0);
    if (c.expected > c.maxFrameBytes) {
      c.onFail(new TransportError('too-large', `frame of ${c.expected} bytes`));
      socket.terminate();
      return;
    }
  }
  if (c.expected >= 0 && c.receivedBytes >= 4 + c.expected) {
    const all = Buffer.concat(c.received);
    c.expected = -2;
    c.onFrame(new Uint8Array(all.subarray(4, 4 + (all.readUInt32BE(0) >>> 0))));
  }
}

/** Writes as much as the socket takes; `drain` writes the rest. */
function write(socket: Socket<Conn>, bytes: Uint8Array): void {
  const c = socket.data;
  const n = socket.write(bytes);
  c.pending = n < bytes.byteLength ? bytes.subarray(Math.max(0, n)) : undefined;
  if (!c.pending && c.endAfterWrite) socket.end();
}

function drain(socket: Socket<Conn>): void {
  const p = socket.data.pending;
  if (p) write(socket, p);
}

/** Binds UDP and TCP on the same port of `hostname`. */
export async function createUdpTransport(options: UdpTransportOptions): Promise<UdpTransport> {
  const maxFrameBytes = options.maxFrameBytes ?? 64 * 1024 * 1024;
  for (let attempt = 0; ; attempt++) {
    const t = new UdpTransport(maxFrameBytes);
    try {
      await t.bind(options.hostname, options.port ?? 0);
      return t;
    } catch (err) {
      await t.close();
      // Port 0 gave a UDP port whose TCP twin is taken: try another.
      if ((options.port ?? 0) !== 0 || attempt >= 20) throw err;
    }
  }
}

/** UDP packets plus a TCP request/response path on the same port. */
export class UdpTransport implements Transport {
  address = '';
  private udp: udp.Socket<'buffer'> | undefined;
  private tcp: TCPSocketListener<Conn> | undefined;
  private packetHandler: PacketHandler = () => {};
  private requestHandler: RequestHandler | undefined;
  private closed = false;
  private readonly open = new Set<Socket<Conn>>();

  constructor(private readonly maxFrameBytes: number) {}

  /** @internal */
  async bind(hostname: string, port: number): Promise<void> {
    this.udp = await Bun.udpSocket({
      hostname,
      port,
      socket: {
        data: (_sock, buf, rport, raddr) => {
          if (!this.closed) this.packetHandler(formatAddress(raddr, rport), new Uint8Array(buf));
        },
        // ICMP "port unreachable" from an earlier send surfaces here; packets are best effort.
        error: () => {},
      },
    });
    const bound = this.udp.port;
    this.tcp = Bun.listen<Conn>({
      hostname,
      port: bound,
      socket: {
        open: (s) => {
          s.data = newConn(this.maxFrameBytes);
          this.open.add(s);
          s.data.onFrame = (payload) => this.serve(s, payload);
        },
        data: (s, chunk) => receive(s, chunk),
        drain: (s) => drain(s),
        close: (s) => {
          this.open.delete(s);
        },
        error: (s) => {
          this.open.delete(s);
        },
      },
    });
    this.address = formatAddress(hostname, bound);
  }

  private serve(s: Socket<Conn>, payload: Uint8Array): void {
    const handler = this.requestHandler;
    const from = formatAddress(s.remoteAddress, 0);
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error('no request handler');
        return handler(from, payload);
      })
      .then(
        (response) => {
          s.data.endAfterWrite = true;
          write(s, frame(response));
        },
        () => s.terminate(),
      );
  }

  send(to: string, payload: Uint8Array): void {
    if (this.closed || !this.udp || payload.byteLength > MAX_DATAGRAM) return;
    let addr: { host: string; port: number };
    try {
      addr = parseAddress(to);
    } catch {
      return;
    }
    // A send may fail with the ICMP error of an *earlier* datagram (port unreachable): that error is
    // consumed by the failed call, so try once more; a second failure is a lost packet, which SWIM tolerates.
    for (let i = 0; i < 2; i++) {
      try {
        this.udp.send(payload, addr.port, addr.host);
        return;
      } catch {}
    }
  }

  async request(to: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) throw new TransportError('closed', 'transport is closed');
    if (payload.byteLength > this.maxFrameBytes) throw new TransportError('too-large', 'request too large');
    const { host, port } = parseAddress(to);
    return new Promise<Uint8Array>((resolve, reject) => {
      let socket: Socket<Conn> | undefined;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(() => {
        settle(() =>
          reject(new TransportError('timeout', `request to ${to} timed out after ${timeoutMs} ms`)),
        );
        socket?.terminate();
      }, timeoutMs);
      const conn = newConn(this.maxFrameBytes);
      conn.onFrame = (response) => {
        settle(() => resolve(response));
        socket?.end();
      };
      conn.onFail = (err) => settle(() => reject(err));
      Bun.connect<Conn>({
        hostname: host,
        port,
        data: conn,
        socket: {
          open: (s) => {
            socket = s;
            this.open.add(s);
            write(s, frame(payload));
          },
          data: (s, chunk) => receive(s, chunk),
          drain: (s) => drain(s),
          close: (s) => {
            this.open.delete(s);
            settle(() => reject(new TransportError('unreachable', `connection to ${to} closed early`)));
          },
          error: (_s, err) => settle(() => reject(new TransportError('unreachable', String(err)))),
          connectError: (_s, err) => settle(() => reject(new TransportError('unreachable', String(err)))),
        },
      }).catch((err: unknown) => settle(() => reject(new TransportError('unreachable', String(err)))));
    });
  }

  onPacket(handler: PacketHandler): void {
    this.packetHandler = handler;
  }

  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.udp?.close();
    this.tcp?.stop(true);
    for (const s of this.open) s.terminate();
    this.open.clear();
  }
}
