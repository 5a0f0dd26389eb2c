// A terminal session: a shell on a PTY (Bun's built-in `terminal` spawn option), started through the workspace's launcher.
import { constants as osConstants } from 'node:os';
import type { Runtime, WorkspaceTarget } from './runtime.ts';

/** One shell on a PTY; `close` ends the shell and everything it started. */
export interface TerminalSession {
  write(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  close(): void;
  readonly pid: number;
}

export interface TerminalOptions {
  /** The shell's command line (a login shell: terminal-sessions.ts picks it). */
  argv: string[];
  cols?: number;
  rows?: number;
  onData: (data: Uint8Array) => void;
  /** The shell's exit status (128 + signal number when a signal ended it). */
  onExit: (status: number) => void;
}

/** Starts a shell in the workspace (its sandbox, directory and environment). */
export function openTerminal(runtime: Runtime, target: WorkspaceTarget, o: TerminalOptions): TerminalSession {
  let closed = false;
  const launched = runtime.spawn(target.id, {
    argv: o.argv,
    purpose: 'terminal',
    env: { TERM: 'xterm-256color' },
    terminal: { cols: o.cols ?? 80, rows: o.rows ?? 24, data: (data) => o.onData(data) },
  });
  const proc = launched.proc;
  void proc.exited.then((code) => {
    const signal = proc.signalCode;
    if (closed) return;
    if (!signal) o.onExit(code);
    else o.onExit(128 + (typeof signal === 'number' ? signal : (signalNumber(signal) ?? 0)));
  });
  const term = proc.terminal!;
  return {
    pid: proc.pid,
    write(data) {
      if (!closed) term.write(data);
    },
    resize(cols, rows) {
      if (!closed) term.resize(cols, rows);
    },
    close() {
      if (closed) return;
      closed = true;
      // Everything the shell started ends with it, then the PTY is released.
      void launched.end(500).finally(() => term.close());
    },
  };
}

/** A control message on the terminal socket: text frames holding JSON; anything else is keyboard input. */
export function parseTerminalMessage(
  text: string,
): { type: 'resize'; cols: number; rows: number } | { type: 'close' } | undefined {
  if (text.charCodeAt(0) !== 123 /* { */) return undefined;
  try {
    const m = JSON.parse(text) as { type?: unknown; cols?: unknown; rows?: unknown };
    // Ends the session for good (a tab closed); a socket that merely closes leaves it to reattach.
    if (m.type === 'close') return { type: 'close' };
    if (
      m.type === 'resize' &&
      Number.isInteger(m.cols) &&
      Number.isInteger(m.rows) &&
      (m.cols as number) > 0 &&
      (m.rows as number) > 0 &&
      (m.cols as number) <= 1000 &&
      (m.rows as number) <= 1000
    ) {
      return { type: 'resize', cols: m.cols as number, rows: m.rows as number };
    }
  } catch {}
  return undefined;
}

/** The number of a signal name (SIGKILL → 9), as shells report `128 + n`. */
function signalNumber(name: string): number | undefined {
  return (osConstants.signals as Record<string, number>)[name];
}
