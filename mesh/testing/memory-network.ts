// MemoryNetwork: an in-process network of Transports with configurable loss, delay and partitions.
import type { Clock } from '../clock.ts';
import { type Random, systemRandom } from '../random.ts';
import { type PacketHandler, type RequestHandler, type Transport, TransportError } from '../transport.ts';

/** Options of a MemoryNetwork. */
export interface MemoryNetworkOptions {
  clock: Clock;
  random?: Random;
  /**
   * Probability that a packet is lost. Requests ride a reliable stream like TCP: a lost segment is not
   * dropped but costs `retransmitMs` more per loss, as TCP's retransmission timeout would.
   */
  loss?: number;
  /** TCP-like retransmission timeout added to a request leg per simulated loss (Linux's minimum RTO). */
  retransmitMs?: number;
  /** One-way delay in ms: a number, or [min, max] drawn uniformly per packet. */
  delayMs?: number | [number, number];
  /** Largest request or response accepted, like the UDP adapter's frame limit. */
  maxRequestBytes?: number;
}

/** Packets and bytes carried, for the simulator's accounting. */
export interface NetworkStats {
  packets: number;
  packetBytes: number;
  packetsLost: number;
  requests: number;
  requestBytes: number;
}

/** An in-memory network; every transport it creates shares its clock, loss, delay and partitions. */
export class MemoryNetwork {
  readonly clock: Clock;
  private readonly random: Random;
  loss: number;
  delayMs: number | [number, number];
  private readonly maxRequestBytes: number;
  private readonly retransmitMs: number;
  private readonly endpoints = new Map<string, MemoryTransport>();
  private groups = new Map<string, number>();
  private next = 1;
  readonly stats: NetworkStats = { packets: 0, packetBytes: 0, packetsLost: 0, requests: 0, requestBytes: 0 };

  constructor(options: MemoryNetworkOptions) {
    this.clock = options.clock;
    this.random = options.random ?? systemRandom;
    this.loss = options.loss ?? 0;
    this.delayMs = options.delayMs ?? 1;
    this.maxRequestBytes = options.maxRequestBytes ?? 64 * 1024 * 1024;
    this.retransmitMs = options.retransmitMs ?? 200;
  }

  /** A new transport at `address` (default `mem-<n>`). */
  transport(address = `mem-${this.next++}`): MemoryTransport {
    if (this.endpoints.has(address)) throw new Error(`address ${address} is in use`);
    const t = new MemoryTransport(this, address);
    this.endpoints.set(address, t);
    return t;
  }

  /** Splits the network: addresses in different groups cannot reach each other; unlisted ones reach all. */
  partition(...groups: string[][]): void {
    this.groups = new Map();
    groups.forEach((g, i) => {
      for (const a of g) this.groups.set(a, i);
    });
  }

  /** Removes every partition. */
  heal(): void {
    this.groups = new Map();
  }

  /** Whether a message from `a` can reach `b` right now. */
  connected(a: string, b: string): boolean {
    const ga = this.groups.get(a);
    const gb = this.groups.get(b);
    return ga === undefined || gb === undefined || ga === gb;
  }

  /** @internal */
  detach(address: string): void {
    this.endpoints.delete(address);
  }

  private delay(): number {
    const d = this.delayMs;
    return typeof d === 'number' ? d : d[0] + this.random.next() * (d[1] - d[0]);
  }

  /** Delay of one request leg: the base delay plus one retransmission timeout per lost segment. */
  private streamDelay(): number {
    let d = this.delay();
    for (let i = 0; i < 5 && this.loss > 0 && this.random.next() < this.loss; i++)
      d += this.retransmitMs * 2 ** i;
    return d;
  }

  /** @internal */
  deliverPacket(from: string, to: string, payload: Uint8Array): void {
    this.stats.packets++;
    this.stats.packetBytes += payload.byteLength;
    if (this.loss > 0 && this.random.next() < this.loss) {
      this.stats.packetsLost++;
      return;
    }
    const copy = payload.slice();
    this.clock.setTimer(this.delay(), () => {
      const target = this.endpoints.get(to);
      if (!target || !this.connected(from, to)) return;
      target.receivePacket(from, copy);
    });
  }

  /** @internal */
  deliverRequest(from: string, to: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.stats.requests++;
    this.stats.requestBytes += payload.byteLength;
    if (payload.byteLength > this.maxRequestBytes) {
      return Promise.reject(new TransportError('too-large', `request of ${payload.byteLength} bytes`));
    }
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = this.clock.setTimer(timeoutMs, () => {
        if (done) return;
        done = true;
        reject(new TransportError('timeout', `request to ${to} timed out after ${timeoutMs} ms`));
      });
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        timer.cancel();
        fn();
      };
      const copy = payload.slice();
      this.clock.setTimer(this.streamDelay(), () => {
        const target = this.endpoints.get(to);
        // An unreachable peer looks like a connect timeout: the timer above rejects.
        if (!target || !this.connected(from, to)) return;
        Promise.resolve()
          .then(() => target.answer(from, copy))
          .then(
            (response) => {
              this.stats.requestBytes += response.byteLength;
              this.clock.setTimer(this.streamDelay(), () => {
                const back = this.endpoints.get(from);
                if (!back || !this.connected(to, from)) return;
                finish(() => resolve(response.slice()));
              });
            },
            (err: unknown) => {
              this.clock.setTimer(this.delay(), () =>
                finish(() => reject(new TransportError('remote-error', String(err)))),
              );
            },
          );
      });
    });
  }
}

/** One endpoint of a MemoryNetwork. */
export class MemoryTransport implements Transport {
  private packetHandler: PacketHandler = () => {};
  private requestHandler: RequestHandler | undefined;
  private closed = false;

  constructor(
    private readonly network: MemoryNetwork,
    readonly address: string,
  ) {}

  send(to: string, payload: Uint8Array): void {
    if (this.closed) return;
    this.network.deliverPacket(this.address, to, payload);
  }

  request(to: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new TransportError('closed', 'transport is closed'));
    return this.network.deliverRequest(this.address, to, payload, timeoutMs);
  }

  onPacket(handler: PacketHandler): void {
    this.packetHandler = handler;
  }

  onRequest(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.network.detach(this.address);
  }

  /** @internal */
  receivePacket(from: string, payload: Uint8Array): void {
    if (!this.closed) this.packetHandler(from, payload);
  }

  /** @internal */
  answer(from: string, payload: Uint8Array): Promise<Uint8Array> | Uint8Array {
    if (this.closed || !this.requestHandler) throw new TransportError('unreachable', 'no request handler');
    return this.requestHandler(from, payload);
  }
}
