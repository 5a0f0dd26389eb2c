import { afterEach, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { type Client, createClient, LibsqlBatchError, LibsqlError } from '@libsql/client';
import { tempDir } from '../../tests/testing/index.ts';
import { createFileClient } from './file-client.ts';

const open: Client[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function fresh(): { client: Client; path: string } {
  const path = join(tempDir('warren-file-client-'), 'db.sqlite');
  const client = createFileClient(path, { timeout: 50 });
  open.push(client);
  return { client, path };
}

describe('the file client', () => {
  it('answers as @libsql/client does: rows by index and by name, integers as numbers, counts and rowids', async () => {
    const { client } = fresh();
    await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER, b BLOB)');
    const ins = await client.execute({
      sql: 'INSERT INTO t (name, n, b) VALUES (?, ?, ?)',
      args: ['a', 7, null],
    });
    expect(ins.rowsAffected).toBe(1);
    expect(ins.lastInsertRowid).toBe(1n);
    await client.execute({ sql: 'INSERT INTO t (name, n) VALUES (:name, :n)', args: { name: 'b', n: true } });
    const r = await client.execute('SELECT id, name, n FROM t ORDER BY id');
    expect(r.columns).toEqual(['id', 'name', 'n']);
    expect(r.rows.length).toBe(2);
    const row = r.rows[1] as unknown as Record<string | number, unknown>;
    expect([row[0], row[1], row[2], row.length]).toEqual([2, 'b', 1, 3]);
    expect({ ...row }).toEqual({ id: 2, name: 'b', n: 1 }); // only names are enumerable, as drizzle expects
    expect(r.toJSON().rows).toEqual([
      [1, 'a', 7],
      [2, 'b', 1],
    ]);
  });

  it('gives the same results as @libsql/client for the same statements', async () => {
    const { client, path } = fresh();
    await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)');
    await client.batch([
      { sql: 'INSERT INTO t (name, score) VALUES (?, ?)', args: ['x', 1.5] },
      { sql: 'INSERT INTO t (name, score) VALUES (?, ?)', args: ['y', null] },
    ]);
    const reference = createClient({ url: `file:${path}` });
    try {
      for (const sql of ['SELECT * FROM t ORDER BY id', 'SELECT count(*) AS n, max(score) AS top FROM t']) {
        const [ours, theirs] = [await client.execute(sql), await reference.execute(sql)];
        expect(ours.columns).toEqual(theirs.columns);
        expect(ours.columnTypes).toEqual(theirs.columnTypes);
        expect(ours.rows.map((r) => ({ ...r }))).toEqual(theirs.rows.map((r) => ({ ...r })));
        expect(ours.toJSON()).toEqual(theirs.toJSON());
      }
    } finally {
      reference.close();
    }
  });

  it('refuses an integer past 2^53 instead of rounding it', async () => {
    const { client } = fresh();
    await expect(client.execute('SELECT 9007199254740993 AS big')).rejects.toThrow(RangeError);
  });

  it('runs a batch as one transaction: a failing step leaves nothing of the others', async () => {
    const { client } = fresh();
    await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)');
    const failed = await client
      .batch([
        { sql: 'INSERT INTO t (name) VALUES (?)', args: ['a'] },
        { sql: 'INSERT INTO t (name) VALUES (?)', args: ['a'] },
      ])
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(LibsqlBatchError);
    expect((failed as LibsqlBatchError).statementIndex).toBe(1);
    expect((failed as LibsqlBatchError).code).toBe('SQLITE_CONSTRAINT');
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]?.n).toBe(0);
    // The connection is usable again, outside any transaction.
    await client.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['a'] });
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]?.n).toBe(1);
  });

  it('sees a changed schema: a statement kept from before an ALTER TABLE reads the new column', async () => {
    const { client } = fresh();
    await client.execute('CREATE TABLE t (a INTEGER)');
    await client.execute('INSERT INTO t (a) VALUES (1)');
    expect((await client.execute('SELECT * FROM t')).columns).toEqual(['a']);
    await client.execute('ALTER TABLE t ADD COLUMN b TEXT');
    const r = await client.execute('SELECT * FROM t');
    expect(r.columns).toEqual(['a', 'b']);
    expect({ ...r.rows[0] }).toEqual({ a: 1, b: null });
  });

  it('lets an open transaction hold the one connection until it settles', async () => {
    const { client } = fresh();
    await client.execute('CREATE TABLE t (a INTEGER)');
    const tx = await client.transaction('write');
    await tx.execute('INSERT INTO t (a) VALUES (1)');
    const refused = await client.execute('SELECT 1').catch((e: unknown) => e);
    expect((refused as LibsqlError).code).toBe('TRANSACTION_ACTIVE');
    await tx.rollback();
    expect(tx.closed).toBe(true);
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]?.n).toBe(0);
    const tx2 = await client.transaction('write');
    await tx2.execute('INSERT INTO t (a) VALUES (2)');
    await tx2.commit();
    expect((await client.execute('SELECT a FROM t')).rows.map((r) => r.a)).toEqual([2]);
  });

  it('reports another connection holding the write lock as SQLITE_BUSY once its timeout passed', async () => {
    const { client, path } = fresh();
    await client.execute('CREATE TABLE t (a INTEGER)');
    const holder = createFileClient(path);
    open.push(holder);
    const tx = await holder.transaction('write');
    const busy = await client.execute('INSERT INTO t (a) VALUES (1)').catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(LibsqlError);
    expect((busy as LibsqlError).code).toBe('SQLITE_BUSY');
    await tx.commit();
    await client.execute('INSERT INTO t (a) VALUES (1)');
  });

  it('keeps working past its statement cache: many distinct statements, each still right', async () => {
    const { client } = fresh();
    for (let i = 0; i < 600; i++) expect((await client.execute(`SELECT ${i} AS v`)).rows[0]?.v).toBe(i);
    expect((await client.execute('SELECT 5 AS v')).rows[0]?.v).toBe(5);
  });

  it('is closed for good once closed', async () => {
    const { client } = fresh();
    client.close();
    expect(client.closed).toBe(true);
    const e = await client.execute('SELECT 1').catch((x: unknown) => x);
    expect((e as LibsqlError).code).toBe('CLIENT_CLOSED');
  });
});
