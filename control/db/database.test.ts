// The database handle: every pooled file connection waits for another writer's lock instead of failing at once.
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FILE_BUSY_TIMEOUT_MS, openDatabase } from './database.ts';

const dir = mkdtempSync(join(tmpdir(), 'warren-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('A libSQL file database', () => {
  it('gives every pooled connection the busy timeout, not only the first one', async () => {
    const db = await openDatabase(`file:${join(dir, 'pool.db')}`);
    try {
      // Concurrent statements run on several pooled connections; a PRAGMA would have reached only one.
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => db.client.execute('PRAGMA busy_timeout')),
      );
      expect(new Set(answers.map((r) => Number(Object.values(r.rows[0]!)[0])))).toEqual(
        new Set([FILE_BUSY_TIMEOUT_MS]),
      );
    } finally {
      db.close();
    }
  });
});
