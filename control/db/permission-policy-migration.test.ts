// Migration 0016 on a database that already holds tasks: the tasks table is rebuilt for its new status, and its rows,
// their follow-up messages and the full-text search over them come through it.
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { firstMigrations, migrationsBefore, seedRows } from '../testing/index.ts';
import { openDatabase } from './database.ts';

const dir = mkdtempSync(join(tmpdir(), 'warren-migration-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Migration 0016 (permission policy, needs_input)', () => {
  it('keeps tasks, their messages and their search, and gives every project the ask policy', async () => {
    const url = `file:${join(dir, 'control.db')}`;
    const old = createClient({ url });
    await old.execute('PRAGMA foreign_keys = ON');
    const before = firstMigrations(migrationsBefore('0016_permission_policy'));
    await migrate(drizzle(old), { migrationsFolder: before.dir });
    before.remove();
    await seedRows(old, { users: ['u1'], projects: ['p1'], nodes: ['n1'], workspaces: ['w1'] });
    const task = (id: string, prompt: string, status: string, workspace: string | null) => ({
      sql: `INSERT INTO tasks (id, project_id, owner_id, prompt, status, request_hash, workspace_id, created_at, updated_at)
            VALUES (?, 'p1', 'u1', ?, ?, 'h', ?, 1, 1)`,
      args: [id, prompt, status, workspace],
    });
    await old.batch(
      [
        task('t1', 'refactor the parser', 'completed', null),
        task('t2', 'gone soon', 'failed', null),
        task('t3', 'upgrade the database driver', 'running', 'w1'),
        {
          sql: "INSERT INTO task_messages (id, task_id, text, created_at) VALUES ('m1', 't3', 'and the docs', 2)",
          args: [],
        },
        // A deleted row leaves a rowid gap, so the rebuilt table's rowids differ from the index's.
        { sql: "DELETE FROM tasks WHERE id = 't2'", args: [] },
      ],
      'write',
    );
    old.close();

    const { client, close } = await openDatabase(url);
    try {
      const ids = async (sql: string, args: string[] = []) =>
        (await client.execute({ sql, args })).rows.map((r) => String(r.id));
      expect(await ids('SELECT id FROM tasks ORDER BY id')).toEqual(['t1', 't3']);
      expect(await ids("SELECT id FROM task_messages WHERE task_id = 't3'")).toEqual(['m1']);
      const search = (q: string) =>
        ids('SELECT t.id FROM task_search s JOIN tasks t ON t.rowid = s.rowid WHERE task_search MATCH ?', [
          q,
        ]);
      expect(await search('database')).toEqual(['t3']);
      expect(await search('parser')).toEqual(['t1']);
      // The search triggers came back: a new summary is found.
      await client.execute(
        "UPDATE tasks SET status = 'needs_input', summary = 'waiting on a person' WHERE id = 't3'",
      );
      expect(await search('person')).toEqual(['t3']);
      // needs_input still holds the workspace.
      await expect(client.execute(task('t4', 'second on w1', 'running', 'w1'))).rejects.toThrow(/UNIQUE/);
      expect(
        (await client.execute("SELECT agent_permissions FROM projects WHERE id = 'p1'")).rows[0],
      ).toEqual(expect.objectContaining({ agent_permissions: 'ask' }));
      await expect(
        client.execute("UPDATE projects SET agent_permissions = 'always' WHERE id = 'p1'"),
      ).rejects.toThrow(/CHECK/);
    } finally {
      close();
    }
  });
});
