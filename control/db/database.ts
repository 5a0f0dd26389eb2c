// Opens the control plane database (embedded libSQL file or a libSQL server) and applies migrations.
import { join, resolve } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { createDatabaseFile } from '../../disk/index.ts';
import { retryingOnBusy } from './busy-retry.ts';
import * as schema from './schema.ts';

/** The drizzle handle every query module takes. */
export type Db = LibSQLDatabase<typeof schema>;

export interface Database {
  db: Db;
  client: Client;
  /** `file` for the embedded libSQL file, `remote` for a libSQL server (sqld). */
  kind: 'file' | 'remote';
  close(): void;
}

const MIGRATIONS = join(import.meta.dir, 'migrations');

/** 5 s: how long a write waits for another writer's lock (retrying SQLITE_BUSY) before it fails. */
export const BUSY_TIMEOUT_MS = 5_000;
/**
 * 100 ms: the native busy timeout of each file connection. Short because a native call blocks the event loop
 * while it waits (a transaction held in this process could not commit meanwhile); the async retry waits longer.
 */
export const FILE_BUSY_TIMEOUT_MS = 100;

/**
 * Opens `url` (`file:/path/control.db`, `http://…`, `libsql://…`) and brings the schema up to date.
 * A file database runs in WAL mode with foreign keys on; every statement is committed before it returns,
 * so a write the API acknowledged survives a SIGKILL of the process. A write that meets another writer's lock
 * waits for it (busy timeout on the file, retry on sqld) up to BUSY_TIMEOUT_MS, then fails; it is never dropped.
 */
export async function openDatabase(url: string, authToken?: string): Promise<Database> {
  const kind = url.startsWith('file:') ? 'file' : 'remote';
  const file = databaseFile(url);
  if (file) createDatabaseFile(file);
  // `timeout` is the busy timeout of every pooled file connection (a PRAGMA would reach only one of them).
  const options = { url, timeout: FILE_BUSY_TIMEOUT_MS };
  const client = retryingOnBusy(createClient(authToken ? { ...options, authToken } : options), BUSY_TIMEOUT_MS);
  if (kind === 'file') await client.execute('PRAGMA journal_mode = WAL');
  await client.execute('PRAGMA foreign_keys = ON');
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS });
  return { db, client, kind, close: () => client.close() };
}

/** The file of a `file:` database URL (absolute); undefined for a libSQL server or `file::memory:`. */
export function databaseFile(url: string): string | undefined {
  if (!url.startsWith('file:')) return undefined;
  const path = url.slice('file:'.length);
  return path && path !== ':memory:' ? resolve(path) : undefined;
}
