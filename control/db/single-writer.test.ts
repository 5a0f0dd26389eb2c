// Which statements take the single writer's turn: anything that may write; only plain reads skip the queue.
import { describe, expect, it } from 'bun:test';
import { isBusy, readsOnly } from './single-writer.ts';

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
