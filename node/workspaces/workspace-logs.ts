// The output of each workspace's app and agent, kept on the node as tagged lines in bounded, rotated files.
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_LINE_MAX, type LogLine, type LogSource, type LogStream } from '../../contract/index.ts';

export interface WorkspaceLogsConfig {
  /**
   * 1 MiB: a file is rotated once it would grow past this. At ~100 bytes a line that is ~10,000 lines, plenty
   * to see why an app failed, while a workspace that prints in a loop costs its node a bounded few MiB.
   */
  maxBytes: number;
  /** 2: the current file and one rotated one per source, so a rotation never leaves less than maxBytes to read. */
  files: number;
}

export function defaultWorkspaceLogsConfig(): WorkspaceLogsConfig {
  return { maxBytes: 1024 * 1024, files: 2 };
}

/** Feeds one stream's bytes; `end` writes a last unterminated line. */
export interface LogWriter {
  write(chunk: Uint8Array | string): void;
  end(): void;
}

export interface WorkspaceLogs {
  /** A writer that splits `source`/`stream` output of the workspace into lines and keeps them. */
  writer(workspaceId: string, source: LogSource, stream: LogStream): LogWriter;
  /** The last `n` lines of the workspace (app and agent together), oldest first. */
  tail(workspaceId: string, n: number, source?: LogSource): LogLine[];
  /** Calls `listener` with every line kept from now on; returns the unsubscribe function. */
  follow(workspaceId: string, listener: (line: LogLine) => void): () => void;
  /** Deletes the workspace's logs (it was deleted). */
  remove(workspaceId: string): void;
}

/**
 * Files are `<dir>/<workspace>.<source>.log` (newest) and `….log.1` … (older), one JSON line each, mode 0600 in
 * the node's private logs folder: not in the workspace's own folder, which its processes can write, so a workspace
 * cannot forge or erase what its app and agent printed. App and agent rotate apart, so a chatty agent never pushes
 * out the lines that say why the app failed.
 */
export function createWorkspaceLogs(dir: string, config: WorkspaceLogsConfig): WorkspaceLogs {
  const sizes = new Map<string, number>();
  const listeners = new Map<string, Set<(line: LogLine) => void>>();
  const fileOf = (id: string, source: LogSource, n = 0) =>
    join(dir, `${id}.${source}.log${n === 0 ? '' : `.${n}`}`);

  const sizeOf = (path: string) => {
    let s = sizes.get(path);
    if (s === undefined) {
      try {
        s = statSync(path).size;
      } catch {
        s = 0;
      }
      sizes.set(path, s);
    }
    return s;
  };

  const rotate = (id: string, source: LogSource) => {
    for (let n = config.files - 1; n >= 1; n--) {
      const from = fileOf(id, source, n - 1);
      if (existsSync(from)) renameSync(from, fileOf(id, source, n));
    }
    sizes.set(fileOf(id, source), 0);
  };

  const keep = (id: string, source: LogSource, lines: LogLine[]) => {
    if (lines.length === 0) return;
    const text = lines.map((l) => `${JSON.stringify(l)}\n`).join('');
    const bytes = Buffer.byteLength(text);
    const path = fileOf(id, source);
    if (sizeOf(path) > 0 && sizeOf(path) + bytes > config.maxBytes) rotate(id, source);
    try {
      appendFileSync(path, text, { mode: 0o600 });
      sizes.set(path, sizeOf(path) + bytes);
    } catch {
      // A full disk must not take the workspace down with it; the lines still reach live followers.
      sizes.delete(path);
    }
    const ls = listeners.get(id);
    if (ls) for (const l of lines) for (const f of ls) f(l);
  };

  const readLines = (path: string): LogLine[] => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return [];
    }
    const out: LogLine[] = [];
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      try {
        out.push(JSON.parse(raw) as LogLine);
      } catch {
        // A line cut by a crash mid-write is skipped.
      }
    }
    return out;
  };

  const tailOf = (id: string, source: LogSource, n: number): LogLine[] => {
    let out: LogLine[] = [];
    for (let f = 0; f < config.files && out.length < n; f++)
      out = [...readLines(fileOf(id, source, f)), ...out];
    return out.slice(-n);
  };

  return {
    writer(id, source, stream) {
      const decoder = new TextDecoder();
      let partial = '';
      const line = (text: string): LogLine => ({ at: new Date().toISOString(), source, stream, text });
      return {
        write(chunk) {
          partial += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
          const parts = partial.split('\n');
          partial = parts.pop() ?? '';
          const lines: LogLine[] = [];
          for (const p of parts) lines.push(...cut(p.replace(/\r$/, '')).map(line));
          // A line that never ends (a progress bar without newlines) is kept in pieces instead of growing forever.
          while (partial.length >= LOG_LINE_MAX) {
            lines.push(line(partial.slice(0, LOG_LINE_MAX)));
            partial = partial.slice(LOG_LINE_MAX);
          }
          keep(id, source, lines);
        },
        end() {
          partial += decoder.decode();
          if (partial) keep(id, source, cut(partial).map(line));
          partial = '';
        },
      };
    },
    tail(id, n, source) {
      if (n <= 0) return [];
      if (source) return tailOf(id, source, n);
      const all = [...tailOf(id, 'app', n), ...tailOf(id, 'agent', n)];
      // Stable: lines of one source keep their order when two share a millisecond.
      all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      return all.slice(-n);
    },
    follow(id, listener) {
      const set = listeners.get(id) ?? new Set();
      listeners.set(id, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(id) === set) listeners.delete(id);
      };
    },
    remove(id) {
      for (const source of ['app', 'agent'] as const)
        for (let f = 0; f < config.files; f++) {
          const path = fileOf(id, source, f);
          sizes.delete(path);
          rmSync(path, { force: true });
        }
      // The single log file of nodes before tagged logs.
      rmSync(join(dir, `${id}.log`), { force: true });
    },
  };
}

/** `text` in pieces of at most LOG_LINE_MAX characters (an empty line stays one empty line). */
function cut(text: string): string[] {
  if (text.length <= LOG_LINE_MAX) return [text];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += LOG_LINE_MAX) out.push(text.slice(i, i + LOG_LINE_MAX));
  return out;
}
