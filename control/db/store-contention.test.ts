// The store's contract under write contention, on an embedded libSQL file and a real sqld: no write is lost.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { newId } from '../../contract/index.ts';
import { type ActivityLog, createActivityLog } from '../activity/index.ts';
import { systemClock } from '../clock.ts';
import { createTaskService, type TaskService } from '../tasks/index.ts';
import { DATABASE_BACKENDS, seedRows } from '../testing/index.ts';

const HOLD_WRITE_LOCK = join(import.meta.dir, '../testing/hold-write-lock.ts');

import { BUSY_WAIT_MS, type Database, openDatabase } from './database.ts';
import { createStore, type Store } from './store.ts';

const WRITERS = 50;
const T = 1_800_000_000_000;
const times = <X>(n: number, f: (i: number) => Promise<X>) =>
  Promise.all(Array.from({ length: n }, (_, i) => f(i)));

for (const backend of DATABASE_BACKENDS) {
  describe(`Store under contention on ${backend.name}`, () => {
    let server: { url: string; stop(): Promise<void> };
    let database: Database;
    let store: Store;
    let activity: ActivityLog;
    let tasks: TaskService;
    let userId: string;
    let projectId: string;
    let workspaceId: string;

    beforeAll(async () => {
      server = await backend.start();
      database = await openDatabase(server.url);
      store = createStore(database.db);
      activity = createActivityLog({
        client: database.client,
        clock: systemClock,
        cursorKey: new Uint8Array(32),
      });
      tasks = createTaskService({
        client: database.client,
        clock: systemClock,
        activity,
        placement: { place: () => Promise.reject(new Error('no placement in this test')) },
        agents: {
          start: () => Promise.reject(new Error('no agents in this test')),
          send: async () => {},
          stop: async () => {},
          permissions: async () => [],
          answer: () => Promise.reject(new Error('no agents in this test')),
        },
      });
      userId = newId('user');
      projectId = newId('project');
      workspaceId = newId('workspace');
      await seedRows(database.client, { users: [userId], projects: [projectId], workspaces: [workspaceId] });
    }, 30_000);
    afterAll(async () => {
      database.close();
      await server.stop();
    });

    const count = async (sql: string, args: string[]) =>
      Number((await database.client.execute({ sql, args })).rows[0]?.n);

    it(`keeps every one of ${WRITERS} concurrent activity appends, task transitions, tokens and sessions`, async () => {
      const taskIds = await times(WRITERS, async () => {
        const id = newId('task');
        await database.client.execute({
          sql: `INSERT INTO tasks (id, project_id, owner_id, prompt, status, request_hash, workspace_id, created_at,
                  updated_at) VALUES (?, ?, ?, 'p', 'queued', 'h', ?, ?, ?)`,
          args: [id, projectId, userId, workspaceId, T, T],
        });
        return id;
      });
      const actor = { userId, admin: false };
      const tokenIds = taskIds.map(() => newId('apiToken'));
      await Promise.all([
        times(WRITERS, (i) =>
          activity.append({ workspaceId, kind: 'lifecycle', type: 'workspace.step', message: `step ${i}` }),
        ),
        // Each cancel is a guarded transition plus its own activity append.
        ...taskIds.map((id) => tasks.cancel(actor, id)),
        ...tokenIds.map((id, i) =>
          store.apiTokens
            .insert({
              id,
              tokenHash: `h-${id}`,
              userId,
              name: `t${i}`,
              scopes: '[]',
              createdAt: T,
              lastUsedAt: null,
              expiresAt: null,
              revokedAt: null,
            })
            .then(() => store.apiTokens.touch(id, T + i)),
        ),
        times(WRITERS, (i) =>
          store.sessions.insert({
            id: `s-${workspaceId}-${i}`,
            tokenHash: `sh-${workspaceId}-${i}`,
            userId,
            createdAt: T,
            expiresAt: T + 1,
            revokedAt: null,
          }),
        ),
      ]);

      expect(
        await count(
          `SELECT count(*) AS n FROM activity_events WHERE workspace_id = ? AND kind = 'lifecycle'`,
          [workspaceId],
        ),
      ).toBe(WRITERS);
      expect(
        await count(
          `SELECT count(*) AS n FROM activity_events WHERE workspace_id = ? AND type = 'task.cancelled'`,
          [workspaceId],
        ),
      ).toBe(WRITERS);
      expect(
        await count(`SELECT count(*) AS n FROM tasks WHERE workspace_id = ? AND status = 'cancelled'`, [
          workspaceId,
        ]),
      ).toBe(WRITERS);
      const tokens = await store.apiTokens.listOfUser(userId);
      expect(tokens.filter((t) => tokenIds.includes(t.id) && t.lastUsedAt !== null)).toHaveLength(WRITERS);
      expect(await count('SELECT count(*) AS n FROM sessions WHERE user_id = ?', [userId])).toBe(WRITERS);
    }, 60_000);

    it('lets a writer wait while another holds a write transaction, instead of failing', async () => {
      if (database.kind === 'file') {
        // Every pooled connection waits for the lock, including ones opened after the first.
        const tx = await database.client.transaction('read');
        expect(Object.values((await tx.execute('PRAGMA busy_timeout')).rows[0] ?? {})).toContain(
          BUSY_WAIT_MS,
        );
        tx.close();
      }
      // Another process (a replica, the CLI) holds the write lock while this one writes.
      const holder = Bun.spawn(['bun', HOLD_WRITE_LOCK, server.url, workspaceId, '300'], { stdout: 'pipe' });
      const reader = holder.stdout.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toBe('held\n');
      const waited = await activity.append({
        workspaceId,
        kind: 'agent',
        type: 'agent.waited',
        message: 'waited',
      });
      expect(waited.type).toBe('agent.waited');
      expect(await holder.exited).toBe(0);
      expect(
        await count(`SELECT count(*) AS n FROM activity_events WHERE workspace_id = ? AND kind = 'agent'`, [
          workspaceId,
        ]),
      ).toBe(2);
    }, 30_000);
  });
}
