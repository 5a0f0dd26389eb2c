// The node's public listener: plain workspace requests and WebSocket handshakes with a valid token go to the app byte
// for byte (raw-upstream.ts, raw-websocket.ts); every other request (node API, terminal, bodies, refusals) is
// tunnelled to the full server.
import type { Socket, TCPSocketListener } from 'bun';
import type { TokenVerifier, VerifiedToken } from '../auth/index.ts';
import type { Metrics } from '../metrics.ts';
import type { Runtime } from '../workspaces/index.ts';
import { type FastForwardContext, planPeerForward } from './fast-forward.ts';
import { planFastRequest } from './fast-plan.ts';
import type { LiveSessions } from './live-sessions.ts';
import { afterDrain, type Client, type ClientState, type TunnelState, toClient } from './raw-connection.ts';
import { createRawUpstreams } from './raw-upstream.ts';
import { pipeUpgrade } from './raw-websocket.ts';
import { rawErrorResponse } from './responses.ts';
import { requestHost, validHost } from './route.ts';
import { flush, writeTo } from './socket-queue.ts';

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

const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;
/** Pipelined bytes held per client while a response is in flight. */
const MAX_QUEUED = 1024 * 1024;
/** Same as the full server's idle timeout. */
const IDLE_TIMEOUT_S = 120;

/** Starts the public listener. */
export function startRawFront(o: RawFrontOptions): { port: number; stop(): void } {
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

  const replay = (c: Client, request: Buffer | undefined): void => {
    c.data.upstream = undefined;
    c.data.busy = false;
    if (c.data.closed) return;
    const rest = c.data.buf;
    tunnel(c, request && rest ? Buffer.concat([request, rest]) : (request ?? rest));
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

  const upstreams = createRawUpstreams({
    mesh: o.mesh,
    replay,
    finish: (c, keepAlive) => finish(c, keepAlive),
  });
  const { send } = upstreams;
  const websockets = { sessions: o.sessions, replay };

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
        pipeUpgrade(websockets, c, head.host, head.port, bytes, request, token);
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
      upstreams.stop();
    },
  };
}
