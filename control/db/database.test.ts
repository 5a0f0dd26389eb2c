// The database handle: every statement on a file runs with the busy timeout, foreign keys and the chosen sync.
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadControlConfig } from '../config.ts';
import { BUSY_WAIT_MS, openDatabase } from './database.ts';

const dir = mkdtempSync(join(tmpdir(), 'warren-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pragma = async (db: Awaited<ReturnType<typeof openDatabase>>, name: string) => {
  // Concurrent statements: a pool of connections would spread them, and a PRAGMA reaches only its own.
  const answers = await Promise.all(Array.from({ length: 30 }, () => db.client.execute(`PRAGMA ${name}`)));
  return new Set(answers.map((r) => Number(Object.values(r.rows[0]!)[0])));
};

describe('A libSQL file database', () => {
  it('runs every statement with the busy timeout, foreign keys on and the log synced at checkpoints', async () => {
    const db = await openDatabase(`file:${join(dir, 'normal.db')}`);
    try {
      expect(await pragma(db, 'busy_timeout')).toEqual(new Set([BUSY_WAIT_MS]));
      expect(await pragma(db, 'foreign_keys')).toEqual(new Set([1]));
      expect(await pragma(db, 'synchronous')).toEqual(new Set([1])); // NORMAL
    } finally {
      db.close();
    }
  });

  it('syncs every commit when asked for full durability', async () => {
    const db = await openDatabase(`file:${join(dir, 'full.db')}`, { sync: 'full' });
    try {
      expect(await pragma(db, 'synchronous')).toEqual(new Set([2])); // FULL
    } finally {
      db.close();
    }
  });
});

describe('WARREN_DB_SYNC', () => {
  it('is normal by default, takes full, and names itself when it is neither', () => {
    expect(loadControlConfig({}, {}).dbSync).toBe('normal');
    expect(loadControlConfig({}, { WARREN_DB_SYNC: 'full' }).dbSync).toBe('full');
    expect(() => loadControlConfig({}, { WARREN_DB_SYNC: 'off' })).toThrow(
      /WARREN_DB_SYNC must be normal or full/,
    );
  });
});
