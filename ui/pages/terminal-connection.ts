// One terminal tab's link to its session on the node: attach or reattach, replay, and reconnect with backoff.
import type { Terminal } from '@xterm/xterm';

/** The node closed the socket because its token expired or was revoked (SOCKET_CLOSE_TOKEN_ENDED). */
const TOKEN_ENDED = 4401;
/** The session named no longer exists on the node (it ended, or its grace period ran out). */
const SESSION_GONE = 4404;
/** The shell exited by itself, or the session was closed on purpose. */
const SHELL_EXITED = 1000;
const SESSION_CLOSED = 4000;
/** The workspace stopped. */
const GOING_AWAY = 1001;
/** The workspace has as many terminals as the node allows. */
const TOO_MANY = 4429;

/** Reconnect delays: 0.5 s doubling to 10 s, each with jitter so many tabs do not retry in step. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 10_000;

export type TerminalState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** ws(s)://node/w/{id}/_terminal?token=…[&session=…]&cols=…&rows=… from the node's http(s) address. */
export function terminalUrl(
  nodeUrl: string,
  workspaceId: string,
  token: string,
  o: { session?: string; cols?: number; rows?: number } = {},
): string {
  const u = new URL(`${nodeUrl.replace(/\/$/, '')}/w/${encodeURIComponent(workspaceId)}/_terminal`);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.searchParams.set('token', token);
  if (o.session) u.searchParams.set('session', o.session);
  if (o.cols) u.searchParams.set('cols', String(o.cols));
  if (o.rows) u.searchParams.set('rows', String(o.rows));
  return u.toString();
}

export interface TerminalConnectionOptions {
  workspaceId: string;
  /** The session to reattach to (from sessionStorage after a reload); absent: a new shell. */
  sessionId: string | undefined;
  term: Terminal;
  /** A fresh terminal token and the hosting node's address. */
  mint(): Promise<{ token: string; nodeUrl: string }>;
  onState(state: TerminalState, error?: string): void;
  /** The node named this tab's session (new, or the same after a reattach); undefined once it ended. */
  onSession(id: string | undefined): void;
}

/**
 * Keeps one xterm attached to one session. A socket that drops (a network blip, a node restart of the proxy, an
 * expired token) is reopened with backoff and the same session id; the node replays the session's output, which
 * redraws the screen. A session that is gone starts a new shell in the same tab.
 */
export class TerminalConnection {
  private socket: WebSocket | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private sessionId: string | undefined;
  private everOpened = false;

  constructor(private readonly o: TerminalConnectionOptions) {
    this.sessionId = o.sessionId;
    o.term.onData((d) => this.send(d));
    o.term.onResize(({ cols, rows }) => this.send(JSON.stringify({ type: 'resize', cols, rows })));
  }

  private send(data: string): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(data);
  }

  /** Opens (or reopens) the socket now. */
  async connect(): Promise<void> {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.o.onState(this.everOpened ? 'reconnecting' : 'connecting');
    let minted: { token: string; nodeUrl: string };
    try {
      minted = await this.o.mint();
    } catch (e) {
      return this.retry((e as Error).message);
    }
    if (this.disposed) return;
    const { cols, rows } = this.o.term;
    const ws = new WebSocket(
      terminalUrl(minted.nodeUrl, this.o.workspaceId, minted.token, { session: this.sessionId, cols, rows }),
    );
    ws.binaryType = 'arraybuffer';
    this.socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (m) => {
      if (typeof m.data === 'string') {
        const msg = JSON.parse(m.data) as { type?: string; id?: string; created?: boolean };
        if (msg.type !== 'session' || !msg.id) return;
        // A reattach replays the session's output from its start: draw it on a clean screen.
        if (!msg.created) this.o.term.reset();
        this.sessionId = msg.id;
        this.attempt = 0;
        this.everOpened = true;
        this.o.onSession(msg.id);
        this.o.onState('open');
        return;
      }
      this.o.term.write(new Uint8Array(m.data as ArrayBuffer));
    };
    ws.onclose = (ev) => {
      if (this.socket !== ws || this.disposed) return;
      this.socket = undefined;
      this.closed(ev.code, ev.reason, opened);
    };
  }

  private closed(code: number, reason: string, opened: boolean): void {
    if (code === SESSION_GONE && this.sessionId !== undefined) {
      // Ended while we were away (grace period over, closed elsewhere): a new shell in this tab.
      this.sessionId = undefined;
      this.o.onSession(undefined);
      this.o.term.write('\r\n\x1b[2m[the previous shell ended; starting a new one]\x1b[0m\r\n');
      void this.connect();
      return;
    }
    if (code === TOKEN_ENDED && reason === 'token expired') {
      // The session waits on the node; a fresh token picks it up again.
      void this.connect();
      return;
    }
    if (code === TOKEN_ENDED) {
      this.end('Your access to this terminal was revoked, so the node ended the shell.');
      return;
    }
    if (code === SHELL_EXITED || code === SESSION_CLOSED) {
      this.end(undefined);
      return;
    }
    if (code === TOO_MANY) {
      this.end(`${reason || 'Too many terminals'}: close another tab, then start a new shell here.`);
      return;
    }
    if (code === GOING_AWAY) {
      this.end('The workspace stopped, and its shells with it.');
      return;
    }
    this.retry(
      opened || this.everOpened
        ? undefined
        : 'Could not open a terminal on the node that hosts this workspace. Check that the node is online (Nodes page); retrying.',
    );
  }

  private end(error: string | undefined): void {
    this.sessionId = undefined;
    this.o.onSession(undefined);
    this.o.onState('closed', error);
  }

  /** Tries again after the next backoff delay, showing "reconnecting…" meanwhile. */
  private retry(error?: string): void {
    if (this.disposed) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt++;
    this.o.onState('reconnecting', error);
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  /** Starts over with a new shell (after the previous one exited). */
  restart(): void {
    this.sessionId = undefined;
    this.attempt = 0;
    this.o.term.reset();
    void this.connect();
  }

  /**
   * Stops this tab's link. `endSession`: the tab was closed, so the shell ends too; otherwise (leaving the page)
   * the session stays on the node for its grace period and the next visit reattaches.
   */
  dispose(endSession: boolean): void {
    this.disposed = true;
    clearTimeout(this.timer);
    const ws = this.socket;
    this.socket = undefined;
    if (ws && endSession && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'close' }));
    ws?.close(1000);
  }
}
