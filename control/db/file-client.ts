// The control plane's client for a libSQL database file: the `Client` of @libsql/client over the same `libsql`
// binding, with its prepared statements kept. @libsql/client's file client prepares every statement on every call
// (a batch's BEGIN and COMMIT included), reads each statement's columns twice and learns that a write returns no
// rows by catching the exception `raw()` throws. Measured with `bun run bench control` (in-process, concurrency 8):
// preparing alone was 17% of a workspace create's CPU time and reading columns another 6%. This client prepares a
// statement once, keeps it with its columns (a bounded cache, emptied when the schema changes) and otherwise
// answers as @libsql/client does: `ResultSet`s whose rows read by index and by column name, integers as numbers
// (a RangeError past 2^53), `LibsqlError`s carrying the SQLite code, a batch as one transaction, one connection
// that an open interactive transaction holds until it settles.
import { Buffer } from 'node:buffer';
import {
  type Client,
  type InArgs,
  type InStatement,
  type InValue,
  LibsqlBatchError,
  LibsqlError,
  type Replicated,
  type ResultSet,
  type Row,
  type Transaction,
  type TransactionMode,
} from '@libsql/client';
import Database from 'libsql';

/** How many prepared statements a connection keeps: the control plane has a few hundred distinct statements. */
const STATEMENT_CACHE = 512;

type Connection = InstanceType<typeof Database>;
type Prepared = ReturnType<Connection['prepare']>;

interface Cached {
  stmt: Prepared;
  /** Column names and declared types; empty for a statement that returns no rows. */
  columns: string[];
  columnTypes: string[];
  returnsData: boolean;
}

export interface FileClientOptions {
  /** Busy timeout in ms: how long a write waits for another process's lock before SQLITE_BUSY. */
  timeout?: number;
}

/** Opens `path` (a file, or `:memory:`) and proves it can be read, as `createClient` does. */
export function createFileClient(path: string, options: FileClientOptions = {}): Client {
  const db = new Database(path, options.timeout === undefined ? {} : { timeout: options.timeout });
  const client = new FileClient(db);
  try {
    client.run('SELECT 1 AS checkThatTheDatabaseCanBeOpened', []);
  } catch (e) {
    db.close();
    throw e;
  }
  return client;
}

class FileClient implements Client {
  closed = false;
  readonly protocol = 'file';
  readonly #db: Connection;
  readonly #cache = new Map<string, Cached>();
  /** The open interactive transaction holding the connection, if any. */
  #held: FileTransaction | undefined;

  constructor(db: Connection) {
    this.#db = db;
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  async execute(stmtOrSql: InStatement, args?: InArgs): Promise<ResultSet> {
    this.#usable();
    const [sql, values] = normalize(stmtOrSql, args);
    return this.run(sql, values);
  }

  async batch(stmts: Array<InStatement | [string, InArgs?]>, mode: TransactionMode = 'deferred') {
    this.#usable();
    return this.#inTransaction(begin(mode), stmts);
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    this.#usable();
    this.run('PRAGMA foreign_keys=off', []);
    try {
      return this.#inTransaction('BEGIN DEFERRED', stmts);
    } finally {
      this.run('PRAGMA foreign_keys=on', []);
      this.#cache.clear();
    }
  }

  async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
    this.#usable();
    this.run(begin(mode), []);
    const tx = new FileTransaction(this, () => {
      if (this.#held === tx) this.#held = undefined;
    });
    this.#held = tx;
    return tx;
  }

  async executeMultiple(sql: string): Promise<void> {
    this.#usable();
    this.exec(sql);
  }

  async sync(): Promise<Replicated> {
    return undefined;
  }

  reconnect(): void {
    throw new LibsqlError('a file client cannot reconnect once closed: open a new one', 'CLIENT_CLOSED');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#cache.clear();
    if (this.#db.open) this.#db.close();
  }

  /** Runs one statement on the connection (whoever holds it: the caller checked). */
  run(sql: string, args: unknown[] | Record<string, unknown>): ResultSet {
    try {
      const c = this.#prepared(sql);
      if (c.returnsData) {
        const raw = c.stmt.all(args) as unknown[][];
        const rows = new Array<Row>(raw.length);
        for (let i = 0; i < raw.length; i++) rows[i] = rowOf(raw[i] as unknown[], c.columns);
        return resultSet(c.columns, c.columnTypes, rows, 0, undefined);
      }
      const info = c.stmt.run(args);
      if (schemaChanging(sql)) this.#cache.clear();
      return resultSet([], [], [], info.changes, BigInt(info.lastInsertRowid));
    } catch (e) {
      throw libsqlError(e);
    }
  }

  exec(sql: string): void {
    try {
      this.#db.exec(sql);
    } catch (e) {
      throw libsqlError(e);
    } finally {
      this.#cache.clear();
    }
  }

  /** Whether the connection is still inside a transaction (a failed statement may have rolled it back). */
  get inTransaction(): boolean {
    return this.#db.open && this.#db.inTransaction;
  }

  #inTransaction(beginSql: string, stmts: Array<InStatement | [string, InArgs?]>): ResultSet[] {
    this.run(beginSql, []);
    try {
      const results = batchIn(this, stmts);
      this.run('COMMIT', []);
      return results;
    } finally {
      if (this.inTransaction) this.run('ROLLBACK', []);
    }
  }

  #prepared(sql: string): Cached {
    const hit = this.#cache.get(sql);
    if (hit) return hit;
    const stmt = this.#db.prepare(sql);
    stmt.safeIntegers(true);
    let returnsData = true;
    try {
      stmt.raw(true);
    } catch {
      returnsData = false; // raw() throws for a statement that returns no rows
    }
    const defs = returnsData ? stmt.columns() : [];
    const cached: Cached = {
      stmt,
      returnsData,
      columns: defs.map((d) => d.name),
      columnTypes: defs.map((d) => d.type ?? ''),
    };
    // Transaction control and one-off schema statements are cheap to prepare and not worth a slot.
    if (!schemaChanging(sql)) {
      if (this.#cache.size >= STATEMENT_CACHE) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(sql, cached);
    }
    return cached;
  }

  #usable(): void {
    if (this.closed) throw new LibsqlError('The client is closed', 'CLIENT_CLOSED');
    if (this.#held)
      throw new LibsqlError(
        'This client has a single connection, which an open transaction is holding. ' +
          'Commit or roll back the transaction before using the client again.',
        'TRANSACTION_ACTIVE',
      );
  }
}

/** An interactive transaction: holds the client's one connection until commit, rollback or close. */
class FileTransaction implements Transaction {
  #client: FileClient | undefined;
  readonly #settled: () => void;

  constructor(client: FileClient, settled: () => void) {
    this.#client = client;
    this.#settled = settled;
  }

  execute(stmt: InStatement): Promise<ResultSet>;
  execute(sql: string, args?: InArgs): Promise<ResultSet>;
  async execute(stmtOrSql: InStatement, args?: InArgs): Promise<ResultSet> {
    const [sql, values] = normalize(stmtOrSql, args);
    return this.#open().run(sql, values);
  }

  async batch(stmts: InStatement[]): Promise<ResultSet[]> {
    return batchIn(this.#open(), stmts);
  }

  async executeMultiple(sql: string): Promise<void> {
    this.#open().exec(sql);
  }

  async rollback(): Promise<void> {
    this.close();
  }

  async commit(): Promise<void> {
    try {
      this.#open().run('COMMIT', []);
    } finally {
      this.#settle();
    }
  }

  close(): void {
    const client = this.#client;
    if (!client) return;
    try {
      if (!client.closed && client.inTransaction) client.run('ROLLBACK', []);
    } finally {
      this.#settle();
    }
  }

  get closed(): boolean {
    const client = this.#client;
    return !client || client.closed || !client.inTransaction;
  }

  #open(): FileClient {
    const client = this.#client;
    if (!client || client.closed || !client.inTransaction)
      throw new LibsqlError('The transaction is closed', 'TRANSACTION_CLOSED');
    return client;
  }

  #settle(): void {
    this.#client = undefined;
    this.#settled();
  }
}

function batchIn(client: FileClient, stmts: Array<InStatement | [string, InArgs?]>): ResultSet[] {
  const results: ResultSet[] = [];
  for (let i = 0; i < stmts.length; i++) {
    try {
      if (!client.inTransaction)
        throw new LibsqlBatchError('The transaction has been rolled back', i, 'TRANSACTION_CLOSED');
      const s = stmts[i] as InStatement | [string, InArgs?];
      const [sql, values] = Array.isArray(s) ? normalize(s[0], s[1]) : normalize(s);
      results.push(client.run(sql, values));
    } catch (e) {
      if (e instanceof LibsqlBatchError) throw e;
      if (e instanceof LibsqlError)
        throw new LibsqlBatchError(
          e.message,
          i,
          e.code,
          e.extendedCode,
          e.rawCode,
          e.cause instanceof Error ? e.cause : undefined,
        );
      throw e;
    }
  }
  return results;
}

function begin(mode: TransactionMode): string {
  if (mode === 'write') return 'BEGIN IMMEDIATE';
  if (mode === 'read') return 'BEGIN TRANSACTION READONLY';
  if (mode === 'deferred') return 'BEGIN DEFERRED';
  throw new RangeError('Unknown transaction mode, supported values are "write", "read" and "deferred"');
}

/** DDL changes what a cached statement's columns are: such a statement empties the cache. */
function schemaChanging(sql: string): boolean {
  return /^\s*(create|alter|drop)\b/i.test(sql);
}

function normalize(stmt: InStatement, args?: InArgs): [string, unknown[] | Record<string, unknown>] {
  if (typeof stmt === 'string') return [stmt, toSqlArgs(args)];
  return [stmt.sql, toSqlArgs(stmt.args)];
}

function toSqlArgs(args: InArgs | undefined): unknown[] | Record<string, unknown> {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(valueToSql);
  const named: Record<string, unknown> = {};
  for (const name in args) {
    const key = name[0] === '@' || name[0] === '$' || name[0] === ':' ? name.slice(1) : name;
    named[key] = valueToSql((args as Record<string, InValue>)[name] as InValue);
  }
  return named;
}

const MIN_I64 = -9223372036854775808n;
const MAX_I64 = 9223372036854775807n;

function valueToSql(value: InValue): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
    return value;
  }
  if (typeof value === 'bigint') {
    if (value < MIN_I64 || value > MAX_I64)
      throw new RangeError(
        'bigint is too large to be represented as a 64-bit integer and passed as argument',
      );
    return value;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Date) return value.valueOf();
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database');
  return value;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function valueFromSql(value: unknown): unknown {
  if (typeof value === 'bigint') {
    if (value < MIN_SAFE || value > MAX_SAFE)
      throw new RangeError('Received integer which cannot be safely represented as a JavaScript number');
    return Number(value);
  }
  if (value instanceof Buffer) return value.buffer;
  return value;
}

/** A row readable by index (not enumerable) and by column name (enumerable), with a `length`. */
function rowOf(raw: unknown[], columns: string[]): Row {
  const row: Record<string, unknown> = {};
  Object.defineProperty(row, 'length', { value: raw.length });
  for (let i = 0; i < raw.length; i++) {
    const value = valueFromSql(raw[i]);
    Object.defineProperty(row, i, { value });
    const column = columns[i] as string;
    if (!Object.hasOwn(row, column)) row[column] = value;
  }
  return row as unknown as Row;
}

function resultSet(
  columns: string[],
  columnTypes: string[],
  rows: Row[],
  rowsAffected: number,
  lastInsertRowid: bigint | undefined,
): ResultSet {
  return {
    columns,
    columnTypes,
    rows,
    rowsAffected,
    lastInsertRowid,
    toJSON: () => ({
      columns,
      columnTypes,
      rows: rows.map((r) => Array.prototype.map.call(r, (v) => (typeof v === 'bigint' ? `${v}` : v))),
      rowsAffected,
      lastInsertRowid: lastInsertRowid === undefined ? null : `${lastInsertRowid}`,
    }),
  };
}

/** The SQLite error as @libsql/client reports it: the base code (`SQLITE_BUSY`) and the extended one. */
function libsqlError(e: unknown): unknown {
  if (!(e instanceof Database.SqliteError)) return e;
  const rawCode = (e as { rawCode?: number }).rawCode;
  const base =
    rawCode === undefined
      ? 'SQLITE_UNKNOWN'
      : (BASE_CODES[rawCode & 0xff] ?? `SQLITE_UNKNOWN_${rawCode & 0xff}`);
  return new LibsqlError(e.message, base, e.code, rawCode, e);
}

const BASE_CODES: Record<number, string> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS',
  23: 'SQLITE_AUTH',
  24: 'SQLITE_FORMAT',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
  27: 'SQLITE_NOTICE',
  28: 'SQLITE_WARNING',
};
