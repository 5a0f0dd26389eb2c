// Which statements take the single writer's turn (anything that may write; only plain reads skip the queue), and
// group commit on a real sqld: writes that queued go as one transaction, yet each caller gets its own outcome.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type Client, createClient, type InStatement } from '@libsql/client';
import { type RunningSqld, startSqld } from '../testing/index.ts';
import { BUSY_WAIT_MS } from './database.ts';
import { isBusy, readsOnly, singleWriter } from './single-writer.ts';

describe('readsOnly', () => {
  it('lets plain reads through and queues everything that can write', () => {
    for (const read of [
      'SELECT 1',
      '  select * from t',
      'WITH x AS (SELECT 1) SELECT * FROM x',
      'PRAGMA busy_timeout',
    ])
      expect(readsOnly(read)).toBe(true);
    for (const write of [
      'INSERT INTO t VALUES (1)',
      'UPDATE t SET a = 1 RETURNING *',
      'DELETE FROM t',
      'WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x',
      'PRAGMA foreign_keys = ON',
      'BEGIN',
      'CREATE TABLE t (a)',
    ])
      expect(readsOnly(write)).toBe(false);
  });

  it('knows the busy answer of a file connection and of sqld', () => {
    expect(isBusy(Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' }))).toBe(
      true,
    );
    expect(isBusy(new Error('SQLite error: database is locked'))).toBe(true);
    expect(isBusy(new Error('UNIQUE constraint failed'))).toBe(false);
  });
});

describe('The single writer on a real sqld', () => {
  let sqld: RunningSqld;
  let raw: Client;
  /** Calls that reached the server: one per request. */
  const calls: string[] = [];
  let client: Client;

  beforeAll(async () => {
    sqld = await startSqld();
    raw = createClient({ url: sqld.url });
    await raw.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)');
    const counted = new Proxy(raw, {
      get(target, prop) {
        if (prop === 'batch' || prop === 'execute')
          return (...a: unknown[]) => {
            calls.push(String(prop));
            return (target[prop] as (...x: unknown[]) => unknown)(...a);
          };
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    client = singleWriter(counted, { busyWaitMs: BUSY_WAIT_MS });
  }, 30_000);
  afterAll(async () => {
    raw.close();
    await sqld.stop();
  });

  it('sends writes that queued as one transaction, and answers each caller with its own results', async () => {
    calls.length = 0;
    const names = Array.from({ length: 40 }, (_, i) => `g${i}`);
    const answers = await Promise.all(
      names.map((name, i) =>
        i % 2
          ? client.execute({ sql: 'INSERT INTO t (name) VALUES (?) RETURNING name', args: [name] })
          : client
              .batch(
                [
                  { sql: 'INSERT INTO t (name) VALUES (?)', args: [name] },
                  { sql: 'SELECT name FROM t WHERE name = ?', args: [name] },
                ],
                'write',
              )
              .then((r) => r[1]),
      ),
    );
    expect(answers.map((r) => r?.rows[0]?.name)).toEqual(names);
    // The first went alone; the others queued behind it and went together.
    expect(calls.length).toBeLessThan(names.length / 4);
    const stored = await raw.execute("SELECT count(*) AS n FROM t WHERE name LIKE 'g%'");
    expect(stored.rows[0]?.n).toBe(names.length);
  });

  it('lets one failing write fail alone: the others of its group land', async () => {
    await raw.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: ['taken'] });
    const names = ['f0', 'f1', 'taken', 'f3', 'f4', 'f5'];
    const outcomes = await Promise.allSettled(
      names.map((name) => client.execute({ sql: 'INSERT INTO t (name) VALUES (?)', args: [name] })),
    );
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    const stored = await raw.execute("SELECT name FROM t WHERE name LIKE 'f%' ORDER BY name");
    expect(stored.rows.map((r) => r.name)).toEqual(['f0', 'f1', 'f3', 'f4', 'f5']);
  });

  it('never puts a PRAGMA or a schema change into another write’s transaction', async () => {
    calls.length = 0;
    const writes: Promise<unknown>[] = [];
    const insert = (name: string): InStatement => ({ sql: 'INSERT INTO t (name) VALUES (?)', args: [name] });
    writes.push(client.execute(insert('p0')));
    writes.push(client.execute(insert('p1')));
    writes.push(client.execute('CREATE TABLE IF NOT EXISTS u (a)'));
    writes.push(client.execute(insert('p2')));
    writes.push(client.execute(insert('p3')));
    await Promise.all(writes);
    // p0 alone, p1 alone (the CREATE behind it cannot join), the CREATE alone, then p2 and p3 together.
    expect(calls).toEqual(['execute', 'execute', 'execute', 'batch']);
  });
});
