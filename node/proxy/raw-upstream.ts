// The raw front's requests to apps and to hosting nodes: one request at a time per connection, the response passed
// to the client byte for byte, the connection pooled when it can carry another.
import type { Socket } from 'bun';
import type { FastForwardContext, PeerForward } from './fast-forward.ts';
import { bodyDone, parseResponseFraming, startBody, takeBody } from './http1-parser.ts';
import { IdleSockets } from './idle-sockets.ts';
import {
  type Client,
  type Leg,
  NO_BODY,
  toClient,
  type Upstream,
  type UpstreamState,
  withoutWarrenCookies,
} from './raw-connection.ts';

/** The hosting node's answer that its registry entry is stale: the full server retries with the new route. */
const MISDIRECTED = 421;

/** What the upstream side needs from the raw front. */
export interface RawUpstreamContext {
  /** With the mesh: the hop whose deadlines, breaker and cap forwards to hosting nodes keep. */
  mesh?: FastForwardContext;
  /** Nothing reached the client yet: the full server answers `request` instead (a retry, or a structured 503). */
  replay(c: Client, request: Buffer | undefined): void;
  /** The response is through: the client's next request, or its end when the connection cannot be kept. */
  finish(c: Client, keepAlive: boolean): void;
}

/** The raw front's upstream side. */
export interface RawUpstreams {
  /**
   * Sends `head` (a body-less request) for client `c` to `host:port` on a pooled or fresh connection and passes
   * the response on; `request` is the client's own head, replayed through the full server when the upstream
   * fails before answering. With `forward`, a hop to a hosting node under its deadlines and slot.
   */
  send(
    c: Client,
    host: string,
    port: number,
    head: Buffer,
    noBody: boolean,
    request: Buffer,
    forward?: PeerForward,
  ): void;
  /** Ends the idle connections. */
  stop(): void;
}

/** Sends requests to apps and hosting nodes over pooled connections. */
export function createRawUpstreams(ctx: RawUpstreamContext): RawUpstreams {
  const idle = new IdleSockets<Upstream>();

  const upstreamHandlers = {
    open(u: Upstream) {
      u.setNoDelay(true);
    },
    data(u: Upstream, chunk: Buffer) {
      const c = u.data.client;
      if (!c) {
        u.terminate();
        return;
      }
      try {
        onUpstreamData(u, c, chunk);
      } catch {
        u.data.client = undefined;
        endLeg(u, 'failed');
        u.terminate();
        if (!u.data.started) ctx.replay(c, u.data.request);
        else c.terminate();
      }
    },
    drain() {},
    close(u: Upstream) {
      idle.remove(u.data.key, u);
      const c = u.data.client;
      u.data.client = undefined;
      // Closed before an answer: a pooled connection the host had closed is noise, a fresh one a failure.
      endLeg(u, c && !u.data.reused ? 'failed' : 'abandoned');
      if (!c) return;
      if (!u.data.started) {
        // Nothing reached the client yet: let the full server answer (a retry, or a structured 503).
        ctx.replay(c, u.data.request);
        return;
      }
      // A body framed by the close has ended with it; any other is cut short.
      if (u.data.body.kind === 'close') ctx.finish(c, false);
      else c.terminate();
    },
    error() {},
  };

  /** Settles the forward on `u` (once): the host's breaker and in-flight cap learn how it went. */
  const endLeg = (u: Upstream, outcome: 'answered' | 'failed' | 'abandoned'): void => {
    const leg = u.data.leg;
    if (!leg) return;
    u.data.leg = undefined;
    clearTimeout(leg.timer);
    leg.forward.ticket.settle(outcome);
  };

  /** Past the first-byte deadline the host must prove it is there (as PeerHop's); if not, the full server answers. */
  const armFirstByte = (u: Upstream, leg: Leg, hop: FastForwardContext['hop']): void => {
    leg.timer = setTimeout(async () => {
      const there = await hop.stillThere(leg.forward.peer);
      if (u.data.leg !== leg) return;
      if (there) return armFirstByte(u, leg, hop);
      const c = u.data.client;
      u.data.client = undefined;
      endLeg(u, 'failed');
      u.terminate();
      if (c) ctx.replay(c, u.data.request);
    }, hop.config.firstByteTimeoutMs);
  };

  const onUpstreamData = (u: Upstream, c: Client, chunk: Buffer): void => {
    const d = u.data;
    if (!d.started) {
      const received = d.buf ? Buffer.concat([d.buf, chunk]) : chunk;
      const head = parseResponseFraming(received, d.noBody);
      if (!head) {
        d.buf = received;
        return;
      }
      if (head.status < 200) throw new Error('interim responses go through the full server');
      if (d.leg) {
        endLeg(u, 'answered');
        if (head.status === MISDIRECTED) {
          // The full server's retry with the updated route owns this case; the connection is mid-response.
          u.data.client = undefined;
          u.terminate();
          ctx.replay(c, d.request);
          return;
        }
      }
      const [buf, used] =
        head.setCookie && !d.peer
          ? withoutWarrenCookies(received, head.headLength)
          : [received, head.headLength];
      d.buf = undefined;
      d.started = true;
      d.request = undefined;
      d.body = startBody(head.framing);
      d.keepAlive = head.keepAlive;
      // One write for the head and whatever of the body came with it: a write is a syscall, the costliest step.
      const body = buf.subarray(used);
      const n = takeBody(d.body, body);
      toClient(c, n === body.length ? buf : buf.subarray(0, used + n), u as Socket<unknown>);
      if (bodyDone(d.body)) complete(u, c, n === body.length);
      return;
    }
    const n = takeBody(d.body, chunk);
    toClient(c, n === chunk.length ? chunk : chunk.subarray(0, n), u as Socket<unknown>);
    if (bodyDone(d.body)) complete(u, c, n === chunk.length);
  };

  /** The response is through: pool the app connection, then serve the next pipelined request. */
  const complete = (u: Upstream, c: Client, clean: boolean): void => {
    const keep = u.data.keepAlive && clean;
    u.data.client = undefined;
    u.data.body = NO_BODY;
    u.resume();
    if (keep) {
      u.data.reused = true;
      idle.park(u.data.key, u);
    } else {
      u.end();
    }
    ctx.finish(c, keep);
  };

  const send: RawUpstreams['send'] = (c, host, port, head, noBody, request, forward) => {
    const key = forward ? `peer ${host}:${port}` : `${host}:${port}`;
    const hop = forward && ctx.mesh?.hop;
    const ready = (u: Upstream) => {
      const d = u.data;
      d.client = c;
      d.request = request;
      d.noBody = noBody;
      d.started = false;
      d.buf = undefined;
      c.data.upstream = u;
      if (forward && hop) {
        const leg: Leg = { forward, timer: undefined };
        d.leg = leg;
        armFirstByte(u, leg, hop);
      }
      u.write(head);
    };
    const pooled = idle.take(key);
    if (pooled) {
      ready(pooled);
      return;
    }
    // A host that does not accept the connection in time: a failed forward, and the full server answers.
    let gaveUp = false;
    const giveUp = () => {
      gaveUp = true;
      forward?.ticket.settle('failed');
      ctx.replay(c, request);
    };
    const connecting = hop ? setTimeout(giveUp, hop.config.connectTimeoutMs) : undefined;
    Bun.connect<UpstreamState>({
      hostname: host,
      port,
      data: {
        key,
        client: undefined,
        request: undefined,
        noBody,
        reused: false,
        started: false,
        buf: undefined,
        body: NO_BODY,
        keepAlive: false,
        peer: forward !== undefined,
        leg: undefined,
      },
      socket: {
        ...upstreamHandlers,
        open: (u) => {
          clearTimeout(connecting);
          upstreamHandlers.open(u);
          if (gaveUp) {
            u.end();
            return;
          }
          ready(u);
        },
      },
    }).catch(() => {
      clearTimeout(connecting);
      if (forward) {
        if (!gaveUp) giveUp();
      } else ctx.replay(c, request);
    });
  };

  return { send, stop: () => idle.close() };
}
