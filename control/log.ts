// The control plane's log: one JSON line per event on stderr. Callers pass ids and codes, never secrets.

export interface Log {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function write(level: string, msg: string, fields?: Record<string, unknown>) {
  process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level, msg, ...fields })}\n`);
}

/** Logs JSON lines to stderr; `quiet` drops info lines (tests, benchmarks). */
export function createLog(options: { quiet?: boolean } = {}): Log {
  return {
    info: (msg, fields) => {
      if (!options.quiet) write('info', msg, fields);
    },
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  };
}
