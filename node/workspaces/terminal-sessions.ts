// Reconnecting terminals: shells on PTYs that outlive their socket, keyed by an unguessable id, with replayable output.
import type { Runtime, WorkspaceTarget } from './runtime.ts';
import { Scrollback } from './scrollback.ts';
import { openTerminal, type TerminalSession } from './terminal.ts';

/** How terminal sessions are kept on a node. */
export interface TerminalConfig {
  /**
   * Output kept per session and replayed on reattach. 1 MiB holds about 10,000 lines of 100 columns (a long build
   * log) and, with the default cap of sessions, bounds a workspace's terminals to 16 MiB of node memory.
   */
  scrollbackBytes: number;
  /**
   * How long a session without a client keeps its shell. 5 minutes (Coder's reconnecting PTY uses the same order):
   * longer than a reload, a Wi-Fi change or a laptop lid closed over a short break, short enough that forgotten
   * shells do not pile up.
   */
  detachGraceMs: number;
  /** Sessions one workspace may have at once; 16 tabs is more than anyone works in, and bounds memory as above. */
  maxPerWorkspace: number;
}

/** The production defaults (see each field for why). */
export function defaultTerminalConfig(): TerminalConfig {
  return { scrollbackBytes: 1024 * 1024, detachGraceMs: 5 * 60_000, maxPerWorkspace: 16 };
}

/** A session id: 16 random bytes, base64url (22 characters). */
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** True when `id` has the shape of a terminal session id (anything else is a 400 before any lookup). */
export function isTerminalSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}

function newSessionId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
}

/** A socket attached to a session: it gets the shell's output and is told when the session ends. */
export interface TerminalClient {
  data(bytes: Uint8Array): void;
  /** The session ended (the shell exited, it was closed, the workspace stopped); the client should close. */
  ended(code: number, reason: string): void;
}

/** What `GET /w/{id}/_terminal/sessions` shows of a session. */
export interface TerminalSessionInfo {
  id: string;
  createdAt: string;
  cols: number;
  rows: number;
  /** Sockets attached now; 0 means detached and counting down to `expiresAt`. */
  clients: number;
  /** When a detached session's shell is ended; null while a client is attached. */
  expiresAt: string | null;
}

/** Close codes a terminal socket ends with, besides the token's 4401. */
export const TERMINAL_CLOSE = {
  /** The shell exited by itself (`exit`, Ctrl-D). */
  exited: 1000,
  /** The session was ended on purpose (a close message, DELETE, revocation). */
  closed: 4000,
  /** The session id names no session of this workspace and user (ended, expired, or never existed). */
  notFound: 4404,
  /** The workspace already has `maxPerWorkspace` sessions. */
  tooMany: 4429,
} as const;

/** The login shell, chosen inside the workspace's sandbox (what exists there is what counts). */
export function loginShellArgv(launcher: string, shell: string | null | undefined): string[] {
  const script = shell
    ? 'command -v "$0" >/dev/null 2>&1 && exec "$0" -l; echo "warren: shell $0 not found in this workspace, using sh" >&2; exec sh -l'
    : 'command -v bash >/dev/null 2>&1 && exec bash -l; exec sh -l';
  return [launcher, '-c', script, shell || 'sh'];
}

/**
 * One command run by the workspace's shell (`shell -c command`, as ssh runs a command), not a login shell: the
 * shell is picked inside the sandbox as for `loginShellArgv`, and the command is its one argument, never parsed here.
 */
export function commandShellArgv(
  launcher: string,
  shell: string | null | undefined,
  command: string,
): string[] {
  const script = shell
    ? 'command -v "$0" >/dev/null 2>&1 && exec "$0" -c "$1"; echo "warren: shell $0 not found in this workspace, using sh" >&2; exec sh -c "$1"'
    : 'command -v bash >/dev/null 2>&1 && exec bash -c "$1"; exec sh -c "$1"';
  return [launcher, '-c', script, shell || 'sh', command];
}

/** One shell that outlives its sockets until it exits, is closed, or stays detached past the grace period. */
export class HostedTerminal {
  readonly createdAt = new Date();
  private readonly clients = new Set<TerminalClient>();
  private readonly scrollback: Scrollback;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private expiresAt: number | undefined;
  private ended = false;
  /** Set by the registry: the PTY and the hook that ends it with the workspace. */
  session!: TerminalSession;
  detachWorkspace: (() => void) | undefined;

  constructor(
    readonly id: string,
    readonly workspaceId: string,
    readonly userId: string,
    public cols: number,
    public rows: number,
    private readonly config: TerminalConfig,
    private readonly forget: (t: HostedTerminal) => void,
    /**
     * A one-off command (`?command=`): it cannot be found again (no reattach, not listed) and ends with its last
     * socket instead of waiting out a grace period, as a command run over ssh ends with its connection.
     */
    readonly oneOff = false,
  ) {
    this.scrollback = new Scrollback(config.scrollbackBytes);
  }

  /** Output from the PTY: kept for replay and sent to every attached client. */
  output(bytes: Uint8Array): void {
    this.scrollback.append(bytes);
    for (const c of this.clients) c.data(bytes);
  }

  /**
   * Attaches a client at its size and returns the output to replay first (the screen as it was). Resizing here
   * makes full-screen programs redraw for the new client's window.
   */
  attach(client: TerminalClient, cols: number, rows: number): Uint8Array {
    this.clients.add(client);
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.expiresAt = undefined;
    this.resize(cols, rows);
    return this.scrollback.snapshot();
  }

  /** The client's socket closed; the last one to go starts the grace period (a one-off command just ends). */
  detach(client: TerminalClient): void {
    if (!this.clients.delete(client) || this.clients.size > 0 || this.ended) return;
    if (this.oneOff) {
      this.end(TERMINAL_CLOSE.closed, 'terminal closed');
      return;
    }
    this.expiresAt = Date.now() + this.config.detachGraceMs;
    this.graceTimer = setTimeout(
      () => this.end(TERMINAL_CLOSE.closed, 'detached too long'),
      this.config.detachGraceMs,
    );
    this.graceTimer.unref?.();
  }

  write(data: string | Uint8Array): void {
    if (!this.ended) this.session.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.ended || (cols === this.cols && rows === this.rows)) return;
    this.cols = cols;
    this.rows = rows;
    this.session.resize(cols, rows);
  }

  /** Ends the shell (and all it started) and tells every attached client why. */
  end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.detachWorkspace?.();
    this.session.close();
    this.forget(this);
    for (const c of [...this.clients]) c.ended(code, reason);
    this.clients.clear();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  info(): TerminalSessionInfo {
    return {
      id: this.id,
      createdAt: this.createdAt.toISOString(),
      cols: this.cols,
      rows: this.rows,
      clients: this.clients.size,
      expiresAt: this.expiresAt === undefined ? null : new Date(this.expiresAt).toISOString(),
    };
  }
}

export interface TerminalSessionsOptions {
  runtime: Runtime;
  config: TerminalConfig;
  /** The program that picks the login shell inside the sandbox (the node's `sh`). */
  launcher: string;
  /** The workspace's own `shell` setting, if any (from its spec). */
  shellOf(workspaceId: string): string | null | undefined;
}

/** Raised when a workspace already has its maximum of sessions. */
export class TerminalLimitError extends Error {
  readonly code = 'too_many_terminals';
}

/**
 * Every terminal session on this node. A session belongs to one workspace and one user: `find`, `list` and `close`
 * answer only for that pair, so an id that leaked (or was guessed, at 128 random bits) is useless with a token for
 * another workspace or user.
 */
export class TerminalSessions {
  private readonly byId = new Map<string, HostedTerminal>();

  constructor(private readonly o: TerminalSessionsOptions) {}

  /**
   * Starts a shell in the workspace (through the runtime's one launcher, inside its sandbox), or with `command`
   * a one-off session running just that command. When the shell exits, the close reason is
   * `shell exited <status>` (128 + the signal number when a signal ended it), so `warren ws ssh` can exit with it.
   */
  open(
    target: WorkspaceTarget,
    userId: string,
    cols: number,
    rows: number,
    command?: string,
  ): HostedTerminal {
    let count = 0;
    for (const t of this.byId.values()) if (t.workspaceId === target.id) count++;
    if (count >= this.o.config.maxPerWorkspace)
      throw new TerminalLimitError(`a workspace has at most ${this.o.config.maxPerWorkspace} terminals`);
    const id = newSessionId();
    const t = new HostedTerminal(
      id,
      target.id,
      userId,
      cols,
      rows,
      this.o.config,
      (x) => this.byId.delete(x.id),
      command !== undefined,
    );
    const shell = this.o.shellOf(target.id);
    t.session = openTerminal(this.o.runtime, target, {
      argv:
        command === undefined
          ? loginShellArgv(this.o.launcher, shell)
          : commandShellArgv(this.o.launcher, shell, command),
      cols,
      rows,
      onData: (bytes) => t.output(bytes),
      onExit: (status) => t.end(TERMINAL_CLOSE.exited, `shell exited ${status}`),
    });
    this.byId.set(id, t);
    // Stopping or deleting the workspace ends its terminals too.
    t.detachWorkspace = this.o.runtime.attach(target.id, () => t.end(1001, 'workspace stopped'));
    return t;
  }

  /** The session `id` of this workspace and user; undefined for any other (never says whose it is). */
  find(workspaceId: string, userId: string, id: string): HostedTerminal | undefined {
    const t = this.byId.get(id);
    return t && t.workspaceId === workspaceId && t.userId === userId && !t.isEnded && !t.oneOff
      ? t
      : undefined;
  }

  list(workspaceId: string, userId: string): TerminalSessionInfo[] {
    const out: TerminalSessionInfo[] = [];
    for (const t of this.byId.values())
      if (t.workspaceId === workspaceId && t.userId === userId && !t.oneOff) out.push(t.info());
    return out;
  }

  /** Ends the session; false when this workspace and user have no such session. */
  close(workspaceId: string, userId: string, id: string): boolean {
    const t = this.find(workspaceId, userId, id);
    if (!t) return false;
    t.end(TERMINAL_CLOSE.closed, 'terminal closed');
    return true;
  }

  /** Ends every session (the node is stopping). */
  closeAll(): void {
    for (const t of [...this.byId.values()]) t.end(1001, 'node stopping');
  }

  get size(): number {
    return this.byId.size;
  }
}
