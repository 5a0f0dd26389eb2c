// PeerHop: one request from this node to the node that hosts a workspace — deadlines, breaker, in-flight cap.
import { CircuitBreaker } from './circuit-breaker.ts';
import type { ForwardConfig } from './forward-config.ts';
import { InflightCap } from './inflight-cap.ts';
import { UpstreamError, type UpstreamFailure, UpstreamPool } from './upstream-pool.ts';

/** The hosting node as the registry names it. */
export interface PeerTarget {
  nodeId: string;
  /** Its proxy's base URL from its member entry, e.g. `http://100.64.0.7:7420`. */
  proxyUrl: string;
}

/** A request to send to a peer, with the head already decided by the caller. */
export interface PeerRequest {
  method: string;
  /** Path and query, as the client sent them. */
  target: string;
  headers: Iterable<[string, string]>;
  body: ReadableStream<Uint8Array> | null;
}

/** What became of a forward: the host's answer, a refusal without contact, or a failure. */
export type HopResult =
  | { kind: 'response'; response: Response }
  /** Not tried: the host's breaker is open (`open`), or it has too many forwards in flight (`busy`). */
  | { kind: 'refused'; why: 'open' | 'busy'; retryAfterSec: number }
  | { kind: 'failed'; failure: UpstreamFailure };

/** A slot taken for one forward: settle it exactly once with what happened. */
export interface HopTicket {
  settle(outcome: 'answered' | 'failed' | 'abandoned'): void;
}

export interface PeerHopOptions {
  config: ForwardConfig;
  /** Local evidence for membership: this node could not reach `nodeId` (it probes it at once). */
  reportUnreachable?: (nodeId: string) => void;
  /** Counts outcomes (`warren_mesh_forward_failures_total` etc.). */
  count?: (outcome: string) => void;
}

/** A plain-HTTP peer address for the raw pool; undefined (use fetch) for anything else, e.g. https. */
export function socketAddress(proxyUrl: string): { host: string; port: number } | undefined {
  let u: URL;
  try {
    u = new URL(proxyUrl);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:') return undefined;
  return { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port || 80) };
}

/** Sends requests to peer nodes so that one bad host never holds this node's forwards to the others. */
export class PeerHop {
  readonly pool = new UpstreamPool();
  private readonly breaker: CircuitBreaker;
  private readonly cap: InflightCap;
  private readonly liveness = new Map<string, Promise<boolean>>();

  constructor(private readonly o: PeerHopOptions) {
    this.breaker = new CircuitBreaker(o.config);
    this.cap = new InflightCap(o.config.maxInFlightPerHost);
  }

  /**
   * Takes a slot for a forward to `peer`, or says why not (answer 503 with its Retry-After at once).
   * Keyed by address, not node id: a node that comes back elsewhere starts with a clean slate.
   */
  admit(peer: PeerTarget): HopTicket | Extract<HopResult, { kind: 'refused' }> {
    const key = peer.proxyUrl;
    const a = this.breaker.admit(key);
    if (!a.ok)
      return { kind: 'refused', why: 'open', retryAfterSec: Math.max(1, Math.ceil(a.retryAfterMs / 1000)) };
    if (!this.cap.acquire(key)) {
      this.breaker.abandoned(key, a.trial);
      return { kind: 'refused', why: 'busy', retryAfterSec: 1 };
    }
    let done = false;
    return {
      settle: (outcome) => {
        if (done) return;
        done = true;
        this.cap.release(key);
        if (outcome === 'answered') this.breaker.succeeded(key);
        else if (outcome === 'abandoned') this.breaker.abandoned(key, a.trial);
        else this.failed(peer, a.trial);
      },
    };
  }

  /**
   * Sends `req` to `peer` and resolves with its answer (a 5xx of the host's included) or why there is none;
   * never rejects. `signal` abandons the forward (the client left, or membership holds the host down now).
   */
  async send(req: PeerRequest, peer: PeerTarget, signal: AbortSignal): Promise<HopResult> {
    const ticket = this.admit(peer);
    if ('kind' in ticket) {
      this.o.count?.(`refused_${ticket.why}`);
      return ticket;
    }
    const addr = socketAddress(peer.proxyUrl);
    const r =
      req.body === null && addr
        ? await this.viaPool(req, addr, peer, signal)
        : await this.viaFetch(req, peer, signal);
    if (r instanceof Response) {
      ticket.settle('answered');
      return { kind: 'response', response: r };
    }
    ticket.settle(r.code === 'aborted' ? 'abandoned' : 'failed');
    this.o.count?.(r.code);
    return { kind: 'failed', failure: r.code };
  }

  close(): void {
    this.pool.close();
  }

  private failed(peer: PeerTarget, trial: boolean): void {
    if (this.breaker.failed(peer.proxyUrl, trial)) {
      // Pooled connections to it are likely as dead as the one that failed: a trial must open a fresh one.
      const addr = socketAddress(peer.proxyUrl);
      if (addr) this.pool.dropIdle(addr.host, addr.port);
    }
    this.o.reportUnreachable?.(peer.nodeId);
  }

  /** Body-less requests over pooled raw sockets: a real connect timeout, then the first-byte deadline. */
  private async viaPool(
    req: PeerRequest,
    addr: { host: string; port: number },
    peer: PeerTarget,
    signal: AbortSignal,
  ): Promise<Response | UpstreamError> {
    let head = `${req.method} ${req.target} HTTP/1.1\r\n`;
    let host = false;
    for (const [name, value] of req.headers) {
      if (name === 'host') host = true;
      head += `${name}: ${value}\r\n`;
    }
    if (!host) head += `host: ${new URL(peer.proxyUrl).host}\r\n`;
    const pending = this.pool.exchange(addr.host, addr.port, `${head}\r\n`, req.method === 'HEAD', {
      connectTimeoutMs: this.o.config.connectTimeoutMs,
      firstByteTimeoutMs: this.o.config.firstByteTimeoutMs,
      stillThere: () => this.stillThere(peer),
    });
    const onAbort = () => pending.abort();
    signal.addEventListener('abort', onAbort);
    try {
      return await pending.result;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Requests with a body (and https peers) through fetch, which hides the connect: the host is asked whether it
   * is still there once the connect timeout has passed without an answer, then every first-byte timeout.
   */
  private async viaFetch(
    req: PeerRequest,
    peer: PeerTarget,
    signal: AbortSignal,
  ): Promise<Response | UpstreamError> {
    const abort = new AbortController();
    let why: UpstreamFailure = 'aborted';
    const onAbort = () => abort.abort();
    signal.addEventListener('abort', onAbort);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = (ms: number) => {
      timer = setTimeout(async () => {
        if (await this.stillThere(peer)) check(this.o.config.firstByteTimeoutMs);
        else {
          why = 'no_response';
          abort.abort();
        }
      }, ms);
    };
    check(this.o.config.connectTimeoutMs);
    try {
      const init = {
        method: req.method,
        headers: [...req.headers],
        body: req.body,
        redirect: 'manual',
        // The host's bytes pass through as they are (compressed or not).
        decompress: false,
        signal: abort.signal,
      } as RequestInit;
      return await fetch(peer.proxyUrl + req.target, init);
    } catch {
      return new UpstreamError(abort.signal.aborted ? why : 'refused');
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The deadlines and limits this hop applies (the raw front's forwards use the same). */
  get config(): ForwardConfig {
    return this.o.config;
  }

  /** Whether the peer answers `GET /health` within the connect timeout; one check per peer at a time. */
  stillThere(peer: PeerTarget): Promise<boolean> {
    const running = this.liveness.get(peer.proxyUrl);
    if (running) return running;
    const check = this.health(peer).finally(() => this.liveness.delete(peer.proxyUrl));
    this.liveness.set(peer.proxyUrl, check);
    return check;
  }

  private async health(peer: PeerTarget): Promise<boolean> {
    const ms = this.o.config.connectTimeoutMs;
    const addr = socketAddress(peer.proxyUrl);
    try {
      if (!addr) {
        const r = await fetch(`${peer.proxyUrl}/health`, { signal: AbortSignal.timeout(2 * ms) });
        await r.arrayBuffer();
        return r.ok;
      }
      const head = `GET /health HTTP/1.1\r\nhost: ${new URL(peer.proxyUrl).host}\r\n\r\n`;
      const r = await this.pool.exchange(addr.host, addr.port, head, false, {
        connectTimeoutMs: ms,
        firstByteTimeoutMs: ms,
      }).result;
      if (r instanceof UpstreamError) return false;
      await r.arrayBuffer();
      return r.ok;
    } catch {
      return false;
    }
  }
}
