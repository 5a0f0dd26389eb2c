// One writer per process on a libSQL server. sqld does not make a statement wait for its write lock the way a
// file connection's busy timeout does: statements of one process racing for it answer SQLITE_BUSY (measured
// here: 1 in 1,000 inserts at 200 concurrent) and the race costs throughput (270 inserts/s at 50 concurrent,
// against 1,100/s queued one at a time). So this process's writes queue and go one at a time; reads go
// straight through. Writes that queued up while one was on the wire go together, as one transaction in one
// request (group commit): on sqld every write costs a round trip and a commit, and under load the queue holds
// several. A BUSY caused by another process (a replica, the CLI) is retried with backoff until the same wait a
// file connection gets.
import type { Client, InStatement, ResultSet, TransactionMode } from '@libsql/client';

/** True for the error libSQL (file or server) gives when another connection holds the write lock. */
export function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || (e instanceof Error && /database is locked/i.test(e.message));
}

const sqlOf = (s: InStatement | [string, unknown[]?]) =>
  typeof s === 'string' ? s : Array.isArray(s) ? s[0] : s.sql;

/** A statement that only reads: a SELECT (or a WITH … SELECT) or a PRAGMA that sets nothing. */
export function readsOnly(sql: string): boolean {
  const s = sql.trimStart().toLowerCase();
  if (s.startsWith('select')) return true;
  if (s.startsWith('with')) return !/\b(insert|update|delete|replace)\b/.test(s);
  return s.startsWith('pragma') && !s.includes('=');
}

export interface SingleWriterOptions {
  /** How long a write keeps retrying a BUSY answer (another process holds the lock). */
  busyWaitMs: number;
}

/** Most writes that go as one transaction: a failed group is redone one by one, so groups stay small. */
const GROUP_MAX = 32;

/** A data statement (no PRAGMA, DDL or transaction control): one that may share another write's transaction. */
function groupable(sql: string): boolean {
  return /^\s*(insert|update|delete|replace|select|with)\b/i.test(sql);
}

interface Pending {
  stmts: InStatement[];
  run: () => Promise<ResultSet[]>;
  resolve: (r: ResultSet[]) => void;
  reject: (e: unknown) => void;
}

/**
 * `client` whose writes (`execute` of a writing statement, `batch` that is not read-only) run one at a time
 * in call order, each retried on SQLITE_BUSY until `busyWaitMs`. Writes of data statements that queued behind
 * another go together as one batch; when that group fails, each of its writes is redone alone, so each caller
 * gets its own outcome and a write never lands because of, or fails because of, another's. Retrying is safe: a
 * statement outside an interactive transaction, or a batch (one transaction, rolled back when a step fails),
 * that failed changed nothing. Interactive transactions pass through untouched: their caller decides.
 */
export function singleWriter(client: Client, options: SingleWriterOptions): Client {
  const waiting: Pending[] = [];
  let writing = false;
  const settle = async (p: Pending) => {
    try {
      p.resolve(await retryBusy(p.run, options.busyWaitMs));
    } catch (e) {
      p.reject(e);
    }
  };
  const drain = async () => {
    writing = true;
    while (waiting.length > 0) {
      const first = waiting.shift() as Pending;
      const group = [first];
      if (first.stmts.every((s) => groupable(sqlOf(s))))
        while (group.length < GROUP_MAX && waiting[0]?.stmts.every((s) => groupable(sqlOf(s))))
          group.push(waiting.shift() as Pending);
      if (group.length === 1) {
        await settle(first);
        continue;
      }
      try {
        const results = await retryBusy(
          () =>
            client.batch(
              group.flatMap((p) => p.stmts),
              'write',
            ),
          options.busyWaitMs,
        );
        let at = 0;
        for (const p of group) {
          p.resolve(results.slice(at, at + p.stmts.length));
          at += p.stmts.length;
        }
      } catch (e) {
        // Another process kept the lock past the wait: alone, each would wait as long again.
        if (isBusy(e)) for (const p of group) p.reject(e);
        // One of them failed (a constraint, say) and took the others' transaction down: each goes alone.
        else for (const p of group) await settle(p);
      }
    }
    writing = false;
  };
  const queued = (stmts: InStatement[], run: () => Promise<ResultSet[]>) =>
    new Promise<ResultSet[]>((resolve, reject) => {
      waiting.push({ stmts, run, resolve, reject });
      if (!writing) void drain();
    });
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'execute')
        return async (stmt: InStatement, args?: unknown[]) => {
          const single: InStatement =
            args === undefined || typeof stmt !== 'string' ? stmt : { sql: stmt, args: args as never };
          const run = async () => [await target.execute(single)];
          if (readsOnly(sqlOf(single))) return target.execute(single);
          return (await queued([single], run))[0];
        };
      if (prop === 'batch')
        return (stmts: InStatement[], mode?: TransactionMode) => {
          const run = () => target.batch(stmts, mode);
          return mode === 'read' || stmts.every((s) => readsOnly(sqlOf(s))) ? run() : queued(stmts, run);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function retryBusy<R>(run: () => Promise<R>, waitMs: number): Promise<R> {
  const deadline = performance.now() + waitMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    try {
      return await run();
    } catch (e) {
      if (!isBusy(e) || performance.now() + delay > deadline) throw e;
      // Jitter: two processes that collided do not retry in lockstep.
      await Bun.sleep(delay * (0.5 + Math.random()));
    }
  }
}
