// The raw front's connections: the state each carries (client, tunnel, upstream) and the writes to a client.
import type { Socket } from 'bun';
import { withoutWarrenSetCookieLines } from './credentials.ts';
import type { PeerForward } from './fast-forward.ts';
import type { BodyProgress } from './http1-parser.ts';
import { writeTo } from './socket-queue.ts';
import type { WebSocketPipe } from './websocket-pipe.ts';

export interface ClientState {
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
export type Client = Socket<ClientState>;

export interface TunnelState {
  client: Client;
  out: Buffer[];
}

export interface UpstreamState {
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
export type Upstream = Socket<UpstreamState>;

export interface Leg {
  forward: PeerForward;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The body state of a connection between responses. */
export const NO_BODY: BodyProgress = { kind: 'none' };

/** Sends bytes to the client; pauses `source` while the client is slower than it. */
export function toClient(c: Client, bytes: Buffer, source?: Socket<unknown>): void {
  if (c.data.closed) return;
  if (!writeTo(c, c.data.out, bytes)) source?.pause();
}

/** Runs `f` once the client has taken every byte written to it (at once when it has). */
export function afterDrain(c: Client, f: () => void): void {
  if (c.data.out.length === 0) f();
  else c.data.whenDrained = f;
}

export /** `buf` with the app's Set-Cookie lines for Warren cookies cut from its head, and the head's new length. */
function withoutWarrenCookies(buf: Buffer, headLength: number): [Buffer, number] {
  const text = withoutWarrenSetCookieLines(buf.toString('latin1', 0, headLength));
  if (text === undefined) return [buf, headLength];
  const head = Buffer.from(text, 'latin1');
  return [Buffer.concat([head, buf.subarray(headLength)]), head.length];
}
