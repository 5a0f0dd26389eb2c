// Opens the control plane database (embedded libSQL file or a libSQL server) and applies migrations.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { createDatabaseFile } from '../../disk/index.ts';
import { EMBEDDED_MIGRATIONS } from './embedded-migrations.ts';
import { createFileClient } from './file-client.ts';
import * as schema from './schema.ts';
import { singleWriter } from './single-writer.ts';

/** The drizzle handle every query module takes (with its libSQL client, for statements drizzle cannot build). */
export type Db = LibSQLDatabase<typeof schema> & { $client: Client };

export interface Database {
  db: Db;
  client: Client;
  /** `file` for the embedded libSQL file, `remote` for a libSQL server (sqld). */
  kind: 'file' | 'remote';
  close(): void;
}

const MIGRATIONS = join(import.meta.dir, 'migrations');

export const DB_SYNC = ['normal', 'full'] as const;
/** How often a database file is synced to disk: see `dbSync` in the control plane's configuration. */
export type DbSync = (typeof DB_SYNC)[number];

/** 5 s: how long a write waits for another writer's lock (file busy timeout, sqld retries) before it fails. */
export const BUSY_WAIT_MS = 5_000;

/**
 * Opens `url` (`file:/path/control.db`, `http://…`, `libsql://…`) and brings the schema up to date.
 * A file database runs in WAL mode with foreign keys on; every statement is committed before it returns,
 * so a write the API acknowledged survives a SIGKILL of the process (and with `sync: 'full'` a power cut).
 */
export async function openDatabase(
  url: string,
  options: { authToken?: string; sync?: DbSync } = {},
): Promise<Database> {
  const kind = url.startsWith('file:') ? 'file' : 'remote';
  const file = databaseFile(url);
  if (file) createDatabaseFile(file);
  // A file gets one connection (file-client.ts): its calls are synchronous, so more would add no parallelism, and
  // the PRAGMAs below reach every statement (a PRAGMA applies to the connection it runs on). `timeout` is that
  // connection's busy timeout, for other processes holding the lock (the CLI, a second control plane).
  const opened =
    kind === 'file'
      ? createFileClient(file ?? ':memory:', { timeout: BUSY_WAIT_MS })
      : createClient(options.authToken ? { url, authToken: options.authToken } : { url });
  // A server has no busy timeout for its clients: this process's writes take turns instead (single-writer.ts).
  const client = kind === 'file' ? opened : singleWriter(opened, { busyWaitMs: BUSY_WAIT_MS });
  if (kind === 'file') await client.execute('PRAGMA journal_mode = WAL');
  if (kind === 'file')
    await client.execute(`PRAGMA synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
  await client.execute('PRAGMA foreign_keys = ON');
  const db = drizzle(client, { schema });
  await withMigrationsFolder((migrationsFolder) => migrate(db, { migrationsFolder }));
  return { db, client, kind, close: () => client.close() };
}

/**
 * Runs `use` with the migrations folder: the one in the checkout, or in the single executable a temporary copy
 * of the embedded files (drizzle's migrator reads a folder).
 */
async function withMigrationsFolder(use: (folder: string) => Promise<void>): Promise<void> {
  const files = Object.entries(EMBEDDED_MIGRATIONS);
  if (existsSync(join(MIGRATIONS, 'meta', '_journal.json')) || files.length === 0) return use(MIGRATIONS);
  const folder = mkdtempSync(join(tmpdir(), 'warren-migrations-'));
  try {
    for (const [name, text] of files) {
      mkdirSync(dirname(join(folder, name)), { recursive: true });
      writeFileSync(join(folder, name), text);
    }
    await use(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The file of a `file:` database URL (absolute); undefined for a libSQL server or `file::memory:`. */
export function databaseFile(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  const path = url.slice('file:'.length);
  return path && path !== ':memory:' ? resolve(path) : undefined;
}
