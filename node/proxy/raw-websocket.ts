// The raw front's WebSocket handshakes with a valid token: sent to the app, and on its 101 the client connection
// becomes a byte pipe to the app that the node can still end with a close code.
import type { Socket } from 'bun';
import type { VerifiedToken } from '../auth/index.ts';
import { type BodyProgress, bodyDone, parseResponseFraming, startBody, takeBody } from './http1-parser.ts';
import type { LiveSessions } from './live-sessions.ts';
import {
  afterDrain,
  type Client,
  NO_BODY,
  type TunnelState,
  toClient,
  withoutWarrenCookies,
} from './raw-connection.ts';
import { flush, writeTo } from './socket-queue.ts';
import { WebSocketPipe } from './websocket-pipe.ts';

/** What a piped WebSocket needs from the raw front. */
export interface RawWebSocketContext {
  /** Piped WebSockets end when their token expires or is revoked, like the full server's. */
  sessions: LiveSessions;
  /** The app never answered: the full server answers `request` instead (a structured 503). */
  replay(c: Client, request: Buffer | undefined): void;
}

/**
 * Sends the handshake to the app on a connection of its own. On 101 the client connection becomes a byte
 * pipe to the app (frames pass untouched). Any other answer is passed on and then both connections close,
 * so nothing further on this connection reaches the app without a check.
 */
export function pipeUpgrade(
  ctx: RawWebSocketContext,
  c: Client,
  host: string,
  port: number,
  head: Buffer,
  request: Buffer,
  token: VerifiedToken,
): void {
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
            ctx.sessions.track(c.data, token, (code, reason) => pipe.end(code, reason));
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
          if (!c.data.closed) ctx.replay(c, request);
          return;
        }
        afterDrain(c, () => c.end());
      },
      error() {},
    },
  }).catch(() => ctx.replay(c, request));
}
