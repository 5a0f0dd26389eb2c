// The node's public listener: plain workspace requests and WebSocket handshakes with a valid token go to the app byte
// for byte; every other request (node API, terminal, bodies, refusals) is tunnelled to the full server.
import type { Socket, TCPSocketListener } from 'bun';
import type { TokenVerifier, VerifiedToken } from '../auth/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Runtime } from '../workspaces/index.ts';
import { withoutWarrenSetCookieLines } from './credentials.ts';
import { type FastForwardContext, type PeerForward, planPeerForward } from './fast-forward.ts';
import { planFastRequest } from './fast-plan.ts';
import { type BodyProgress, bodyDone, parseResponseFraming, startBody, takeBody } from './http1-parser.ts';
import { IdleSockets } from './idle-sockets.ts';
import type { LiveSessions } from './live-sessions.ts';
import { rawErrorResponse } from './responses.ts';
import { requestHost, validHost } from './route.ts';
import { flush, writeTo } from './socket-queue.ts';
import { WebSocketPipe } from './websocket-pipe.ts';

export interface RawFrontOptions {
  hostname: string;
  port: number;
  /** The full server (Bun.serve) on loopback that answers everything the fast path does not take. */
  internalPort: number;
  baseDomain: string;
  verifier: TokenVerifier;
  runtime: Runtime;
  metrics: Metrics;
  /** Local port of each tunnel socket → the real client's address, for the full server's X-Forwarded-For. */
  clientAddresses: Map<number, string>;
  /** The full server's cookie WebSocket rule (app-origin.ts): the control UI's origin, path-mode apps allowed. */
  controlOrigin?: string;
  allowPathApps?: boolean;
  /** Piped WebSockets end when their token expires or is revoked, like the full server's. */
  sessions: LiveSessions;
  /** With the mesh: plain requests for workspaces hosted elsewhere go straight to their node's proxy. */
  mesh?: FastForwardContext;
}

interface ClientState {
  buf: Buffer | undefined;
  /** A request is being answered; later (pipelined) requests wait in `buf`. */
  busy: boolean;
  /** Once a connection is tunnelled it stays so: the full server owns its framing from then on. */
  tunnel: Socket<TunnelState> | undefined;
  tunnelling: boolean;
  toTunnel: Buffer[];
  /** Bytes the client has not taken yet (backpressure); `whenDrained` runs once they are gone. */
  out: Buffer[];
  whenDrained: (() => void) | undefined;
  upstream: Socket<UpstreamState> | undefined;
  /** The app connection of a WebSocket handshake in progress. */
  handshake: Socket<TunnelState> | undefined;
  /** An upgraded WebSocket piped to the app (`tunnel` is then the app connection). */
  pipe: WebSocketPipe | undefined;
  closed: boolean;
}
type Client = Socket<ClientState>;

interface TunnelState {
  client: Client;
  out: Buffer[];
}

interface UpstreamState {
  /** `host:port` of the app: the idle pool's key (apps in network namespaces may share a port number). */
  key: string;
  client: Client | undefined;
  /** The request head, kept until the response starts, to replay it through the full server on failure. */
  request: Buffer | undefined;
  noBody: boolean;
  reused: boolean;
  started: boolean;
  buf: Buffer | undefined;
  /** How far the response's body has come. */
  body: BodyProgress;
  keepAlive: boolean;
  /** A connection to another node's proxy: its answers pass unchanged (no Set-Cookie filtering). */
  peer: boolean;
  /** The forward in flight on it until its response starts: its slot at the host and its deadline. */
  leg: Leg | undefined;
}
type Upstream = Socket<UpstreamState>;

interface Leg {
  forward: PeerForward;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The hosting node's answer that its registry entry is stale: the full server retries with the new route. */
const MISDIRECTED = 421;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;
/** Pipelined bytes held per client while a response is in flight. */
const MAX_QUEUED = 1024 * 1024;
/** The body state of a connection between responses. */
const NO_BODY: BodyProgress = { kind: 'none' };
/** Same as the full server's idle timeout. */
const IDLE_TIMEOUT_S = 120;

/** `buf` with the app's Set-Cookie lines for Warren cookies cut from its head, and the head's new length. */
function withoutWarrenCookies(buf: Buffer, headLength: number): [Buffer, number] {
  const text = withoutWarrenSetCookieLines(buf.toString('latin1', 0, headLength));
  if (text === undefined) return [buf, headLength];
  const head = Buffer.from(text, 'latin1');
  return [Buffer.concat([head, buf.subarray(headLength)]), head.length];
}

/** Starts the public listener. */
export function startRawFront(o: RawFrontOptions): { port: number; stop(): void } {
  const idle = new IdleSockets<Upstream>();

  /** Sends bytes to the client; pauses `source` while the client is slower than it. */
  const toClient = (c: Client, bytes: Buffer, source?: Socket<unknown>): void => {
    if (c.data.closed) return;
    if (!writeTo(c, c.data.out, bytes)) source?.pause();
  };
  const afterDrain = (c: Client, f: () => void): void => {
    if (c.data.out.length === 0) f();
    else c.data.whenDrained = f;
  };

  // ---- tunnel to the full server ----
  const tunnel = (c: Client, bytes: Buffer | undefined): void => {
    c.data.tunnelling = true;
    c.timeout(0);
    c.resume(); // it may have been paused while pipelined requests queued
    if (bytes && bytes.length > 0) c.data.toTunnel.push(bytes);
    c.data.buf = undefined;
    Bun.connect<TunnelState>({
      hostname: '127.0.0.1',
      port: o.internalPort,
      data: { client: c, out: [] },
      socket: {
        open(t) {
          t.setNoDelay(true);
          o.clientAddresses.set(t.localPort, c.remoteAddress);
          if (c.data.closed) {
            t.end();
            return;
          }
          c.data.tunnel = t;
          for (const b of c.data.toTunnel) writeTo(t, t.data.out, b);
          c.data.toTunnel = [];
          if (t.data.out.length > 0) c.pause();
        },
        data(t, chunk) {
          toClient(c, chunk, t as Socket<unknown>);
        },
        drain(t) {
          if (flush(t, t.data.out)) c.resume();
        },
        close(t) {
          o.clientAddresses.delete(t.localPort);
          afterDrain(c, () => c.end());
        },
        error() {},
      },
    }).catch(() => c.end());
  };

  // ---- upstream (the workspace app) ----
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
        if (!u.data.started) replay(c, u.data.request);
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
        replay(c, u.data.request);
        return;
      }
      // A body framed by the close has ended with it; any other is cut short.
      if (u.data.body.kind === 'close') finish(c, false);
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
      if (c) replay(c, u.data.request);
    }, hop.config.firstByteTimeoutMs);
  };

  const replay = (c: Client, request: Buffer | undefined): void => {
    c.data.upstream = undefined;
    c.data.busy = false;
    if (c.data.closed) return;
    const rest = c.data.buf;
    tunnel(c, request && rest ? Buffer.concat([request, rest]) : (request ?? rest));
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
          replay(c, d.request);
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
    finish(c, keep);
  };

  const finish = (c: Client, keepAlive: boolean): void => {
    c.data.upstream = undefined;
    c.data.busy = false;
    c.resume();
    if (!keepAlive) {
      afterDrain(c, () => c.end());
      return;
    }
    next(c);
  };

  const send = (
    c: Client,
    host: string,
    port: number,
    head: Buffer,
    noBody: boolean,
    request: Buffer,
    forward?: PeerForward,
  ): void => {
    const key = forward ? `peer ${host}:${port}` : `${host}:${port}`;
    const hop = forward && o.mesh?.hop;
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
      replay(c, request);
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
      } else replay(c, request);
    });
  };

  // ---- WebSocket handshakes piped to the app ----
  /**
   * Sends the handshake to the app on a connection of its own. On 101 the client connection becomes a byte
   * pipe to the app (frames pass untouched). Any other answer is passed on and then both connections close,
   * so nothing further on this connection reaches the app without a check.
   */
  const pipeUpgrade = (
    c: Client,
    host: string,
    port: number,
    head: Buffer,
    request: Buffer,
    token: VerifiedToken,
  ): void => {
    let started = false;
    let upgraded = false;
    let pending: Buffer | undefined;
    /** The body of a refusal (any answer but 101), passed on before both connections close. */
    let refusal: BodyProgress = NO_BODY;
    const closeBoth = (a: Socket<TunnelState>) => {
      a.end();
      afterDrain(c, () => c.end());
    };
    Bun.connect<TunnelState>({
      hostname: host,
      port,
      data: { client: c, out: [] },
      socket: {
        open(a) {
          a.setNoDelay(true);
          if (c.data.closed) {
            a.end();
            return;
          }
          c.data.handshake = a;
          a.write(head);
        },
        data(a, chunk) {
          if (upgraded) {
            c.data.pipe?.fromApp(chunk);
            return;
          }
          if (!started) {
            const received = pending ? Buffer.concat([pending, chunk]) : chunk;
            let h: ReturnType<typeof parseResponseFraming>;
            try {
              h = parseResponseFraming(received, false);
            } catch {
              a.terminate();
              c.terminate();
              return;
            }
            if (!h) {
              pending = received;
              return;
            }
            pending = undefined;
            started = true;
            const [buf, used] = h.setCookie
              ? withoutWarrenCookies(received, h.headLength)
              : [received, h.headLength];
            if (h.status === 101) {
              upgraded = true;
              const pipe = new WebSocketPipe({
                toClient: (b) => toClient(c, b, a as Socket<unknown>),
                toApp: (b) => {
                  if (!writeTo(a, a.data.out, b)) c.pause();
                },
                close: () => closeBoth(a),
                abort: () => {
                  a.terminate();
                  c.terminate();
                },
              });
              c.data.handshake = undefined;
              c.data.tunnel = a;
              c.data.pipe = pipe;
              c.data.tunnelling = true;
              c.timeout(0);
              c.data.busy = false;
              toClient(c, buf.subarray(0, used), a as Socket<unknown>);
              // Frames the app sent right behind its 101.
              if (buf.length > used) pipe.fromApp(buf.subarray(used));
              const early = c.data.buf;
              c.data.buf = undefined;
              if (early) pipe.fromClient(early);
              o.sessions.track(c.data, token, (code, reason) => pipe.end(code, reason));
              return;
            }
            toClient(c, buf, a as Socket<unknown>);
            refusal = startBody(h.framing);
            takeBody(refusal, buf.subarray(used));
            if (bodyDone(refusal)) closeBoth(a);
            return;
          }
          // The rest of a refusal's body.
          toClient(c, chunk, a as Socket<unknown>);
          takeBody(refusal, chunk);
          if (bodyDone(refusal)) closeBoth(a);
        },
        drain(a) {
          if (flush(a, a.data.out)) c.resume();
        },
        close() {
          c.data.handshake = undefined;
          if (!started) {
            // The app never answered: the full server gives the structured 503.
            if (!c.data.closed) replay(c, request);
            return;
          }
          afterDrain(c, () => c.end());
        },
        error() {},
      },
    }).catch(() => replay(c, request));
  };

  /** Answers `response` and closes: what else the client sent on this connection is not read. */
  const refuse = (c: Client, response: Buffer): void => {
    c.data.busy = true;
    c.data.buf = undefined;
    toClient(c, response);
    afterDrain(c, () => c.end());
  };

  // ---- requests from clients ----
  const next = (c: Client): void => {
    const d = c.data;
    if (d.busy || d.tunnelling || d.closed || !d.buf) return;
    const buf = d.buf;
    const end = buf.indexOf(CRLFCRLF);
    if (end < 0) {
      if (buf.length > MAX_HEAD) tunnel(c, buf); // the full server refuses it properly
      return;
    }
    const request = buf.subarray(0, end + 4);
    const headText = buf.toString('latin1', 0, end);
    // Bun.serve would answer a missing Host with a bare 400 of its own: the one error shape instead, and a
    // request without a usable Host never reaches an app.
    if (!validHost(requestHost(headText))) {
      refuse(c, rawErrorResponse('invalid_request', 'a valid Host header is required'));
      return;
    }
    const plan = planFastRequest(headText, c.remoteAddress, o);
    if (plan === undefined) {
      tunnel(c, buf);
      return;
    }
    d.buf = end + 4 < buf.length ? buf.subarray(end + 4) : undefined;
    d.busy = true;
    const go = (token: VerifiedToken | undefined) => {
      const head = token && plan.head(token);
      if (token === undefined || head === undefined) {
        const forward = token && o.mesh && planPeerForward(plan, token, o.mesh, o);
        if (!forward) {
          replay(c, request);
          return;
        }
        o.metrics.inc('warren_proxy_requests_total{outcome="forwarded_fast"}');
        send(
          c,
          forward.host,
          forward.port,
          Buffer.from(forward.head, 'latin1'),
          plan.noBody,
          request,
          forward,
        );
        return;
      }
      const bytes = Buffer.from(head.text, 'latin1');
      if (plan.upgrade) {
        o.metrics.inc('warren_proxy_requests_total{outcome="websocket_fast"}');
        pipeUpgrade(c, head.host, head.port, bytes, request, token);
        return;
      }
      o.metrics.inc('warren_proxy_requests_total{outcome="proxied_fast"}');
      send(c, head.host, head.port, bytes, plan.noBody, request);
    };
    const cached = o.verifier.lookup(plan.token);
    if (cached) go(cached);
    else
      o.verifier.verify(plan.token).then(
        (t) => !c.data.closed && go(t),
        () => !c.data.closed && go(undefined),
      );
  };

  const listener: TCPSocketListener<ClientState> = Bun.listen<ClientState>({
    hostname: o.hostname,
    port: o.port,
    data: undefined as unknown as ClientState,
    socket: {
      open(c) {
        c.setNoDelay(true);
        // A connection that sends nothing for this long is dropped (slow or stuck heads); tunnels and WebSocket
        // pipes turn it off, their ends keep their own timeouts.
        c.timeout(IDLE_TIMEOUT_S);
        c.data = {
          buf: undefined,
          busy: false,
          tunnel: undefined,
          tunnelling: false,
          toTunnel: [],
          out: [],
          whenDrained: undefined,
          upstream: undefined,
          handshake: undefined,
          pipe: undefined,
          closed: false,
        };
      },
      data(c, chunk) {
        const d = c.data;
        if (d.pipe) {
          d.pipe.fromClient(chunk);
          return;
        }
        if (d.tunnelling) {
          if (d.tunnel) {
            if (!writeTo(d.tunnel, d.tunnel.data.out, chunk)) c.pause();
          } else d.toTunnel.push(chunk);
          return;
        }
        d.buf = d.buf ? Buffer.concat([d.buf, chunk]) : chunk;
        // A client pipelining faster than it is answered waits (bounded memory).
        if (d.busy && d.buf.length > MAX_QUEUED) c.pause();
        next(c);
      },
      drain(c) {
        const d = c.data;
        if (!flush(c, d.out)) return;
        d.upstream?.resume();
        d.tunnel?.resume();
        const f = d.whenDrained;
        d.whenDrained = undefined;
        f?.();
      },
      close(c) {
        const d = c.data;
        d.closed = true;
        if (d.pipe) {
          o.sessions.untrack(d);
          d.pipe.dispose();
        }
        d.tunnel?.end();
        d.handshake?.end();
        const u = d.upstream;
        if (u) {
          // Mid-response: that app connection is out of step now.
          u.data.client = undefined;
          u.terminate();
        }
      },
      timeout(c) {
        if (!c.data.tunnelling) c.end();
      },
      error() {},
    },
  });

  return {
    port: listener.port,
    stop() {
      listener.stop(true);
      idle.close();
    },
  };
}
