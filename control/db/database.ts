// Opens the control plane database (embedded libSQL file or a libSQL server) and applies migrations.
import { join, resolve } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { createDatabaseFile } from '../../disk/index.ts';
import * as schema from './schema.ts';

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

/** 5 s: how long a write on the file waits for another writer's lock before it fails. */
export const FILE_BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens `url` (`file:/path/control.db`, `http://…`, `libsql://…`) and brings the schema up to date.
 * A file database runs in WAL mode with foreign keys on; every statement is committed before it returns,
 * so a write the API acknowledged survives a SIGKILL of the process.
 */
export async function openDatabase(url: string, authToken?: string): Promise<Database> {
  const kind = url.startsWith('file:') ? 'file' : 'remote';
  const file = databaseFile(url);
  if (file) createDatabaseFile(file);
  // `timeout` is the busy timeout of every pooled file connection: a PRAGMA reaches only the one connection it
  // runs on, and the others answered SQLITE_BUSY at once under concurrent writes (a lost workspace create).
  const options = kind === 'file' ? { url, timeout: FILE_BUSY_TIMEOUT_MS } : { url };
  const client = createClient(authToken ? { ...options, authToken } : options);
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
