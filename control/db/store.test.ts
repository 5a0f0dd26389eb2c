// One contract suite for the store, run against an embedded libSQL file and a real sqld process.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import {
  AGENT_STATES,
  DESIRED_STATES,
  NODE_ISOLATIONS,
  NODE_STATUSES,
  newId,
  ROLES,
  TASK_STATUSES,
  WORKSPACE_STATUSES,
} from '../../contract/index.ts';
import {
  DATABASE_BACKENDS,
  firstMigrations,
  migrationsBefore,
  testNodeRow,
  testWorkspaceRow,
} from '../testing/index.ts';
import { type Database, openDatabase } from './database.ts';
import type { NodeRow } from './nodes.ts';
import * as schema from './schema.ts';
import { createStore, type Store } from './store.ts';
import { type WorkspaceRow, workspaceResources } from './workspaces.ts';

const T = 1_800_000_000_000;

const nodeRow = (overrides: Partial<NodeRow> = {}): NodeRow =>
  testNodeRow({ name: 'n', capacityWorkspaces: 3, ...overrides });

for (const backend of DATABASE_BACKENDS) {
  describe(`Store on ${backend.name}`, () => {
    let server: { url: string; stop(): Promise<void> };
    let database: Database;
    let store: Store;
    let userId: string;
    let projectId: string;

    beforeAll(async () => {
      server = await backend.start();
      database = await openDatabase(server.url);
      store = createStore(database.db);
      userId = newId('user');
      await store.users.insert({ id: userId, name: 'u', email: null, role: 'member', createdAt: T });
      projectId = newId('project');
      await store.projects.insert({
        id: projectId,
        name: 'p',
        description: '',
        ownerId: userId,
        createdAt: T,
      });
    }, 30_000);
    afterAll(async () => {
      database.close();
      await server.stop();
    });

    const workspaceRow = (overrides: Partial<WorkspaceRow> = {}) =>
      testWorkspaceRow(projectId, userId, overrides);

    it('migrates idempotently: opening an up-to-date database again changes nothing', async () => {
      const again = await openDatabase(server.url);
      expect(await createStore(again.db).users.get(userId)).toMatchObject({ id: userId });
      again.close();
    });

    it('keeps nodes and the workspaces placed on them when the nodes table is rebuilt for isolation', async () => {
      // A database from before migration 0006, with a node hosting a workspace, opened by today's code.
      const older = await backend.start();
      try {
        const cut = firstMigrations(migrationsBefore('0007_node_isolation'));
        const client = createClient({ url: older.url });
        await client.execute('PRAGMA foreign_keys = ON');
        await migrate(drizzle(client, { schema }), { migrationsFolder: cut.dir });
        cut.remove();
        await client.batch([
          {
            sql: 'INSERT INTO users (id, name, email, role, created_at) VALUES (?, ?, ?, ?, ?)',
            args: ['usr_old', 'old', null, 'member', T],
          },
          {
            sql: 'INSERT INTO projects (id, name, description, owner_id, created_at) VALUES (?, ?, ?, ?, ?)',
            args: ['prj_old', 'p', '', 'usr_old', T],
          },
          {
            sql: `INSERT INTO nodes (id, name, status, address, public_key, labels, capacity_workspaces, laptop,
                    version, created_at) VALUES ('nd_old', 'old', 'online', 'http://127.0.0.1:1', '{}', '{}', 2, 1, '0.1.0', ?)`,
            args: [T],
          },
          {
            sql: `INSERT INTO workspaces (id, name, project_id, owner_id, node_id, status, desired_state, env,
                    created_at, updated_at) VALUES ('ws_old', 'w', 'prj_old', 'usr_old', 'nd_old', 'running', 'running', '{}', ?, ?)`,
            args: [T, T],
          },
        ]);
        client.close();
        const upgraded = await openDatabase(older.url);
        const s = createStore(upgraded.db);
        expect(await s.nodes.get('nd_old')).toMatchObject({
          name: 'old',
          laptop: true,
          version: '0.1.0',
          isolation: null,
          baseDomain: null,
          workspaceCount: 1,
        });
        expect((await s.workspaces.get('ws_old'))?.nodeId).toBe('nd_old');
        upgraded.close();
      } finally {
        await older.stop();
      }
    }, 30_000);

    it('upgrades to unique workspace names: later duplicates are renamed, rows and their activity stay', async () => {
      const older = await backend.start();
      try {
        const cut = firstMigrations(migrationsBefore('0013_workspace_edit'));
        const client = createClient({ url: older.url });
        await client.execute('PRAGMA foreign_keys = ON');
        await migrate(drizzle(client, { schema }), { migrationsFolder: cut.dir });
        cut.remove();
        const ws = (id: string, name: string, at: number, desired = 'running') => ({
          sql: `INSERT INTO workspaces (id, name, project_id, owner_id, status, desired_state, env, created_at,
                  updated_at) VALUES (?, ?, 'prj_dup', 'usr_dup', 'running', ?, '{}', ?, ?)`,
          args: [id, name, desired, at, at],
        });
        await client.batch([
          {
            sql: 'INSERT INTO users (id, name, email, role, created_at) VALUES (?, ?, ?, ?, ?)',
            args: ['usr_dup', 'dup', null, 'member', T],
          },
          {
            sql: 'INSERT INTO projects (id, name, description, owner_id, created_at) VALUES (?, ?, ?, ?, ?)',
            args: ['prj_dup', 'p', '', 'usr_dup', T],
          },
          ws('ws_first_aaaaaa', 'api', T),
          ws('ws_second_bbbbbb', 'api', T + 1),
          ws('ws_gone_cccccc', 'api', T + 2, 'deleted'),
          ws('ws_long_dddddd', 'x'.repeat(64), T),
          ws('ws_long2_eeeeee', 'x'.repeat(64), T + 1),
          {
            sql: `INSERT INTO activity_events (workspace_id, at, kind, type, message)
                  VALUES ('ws_second_bbbbbb', ?, 'lifecycle', 'workspace.created', 'kept')`,
            args: [T],
          },
        ]);
        client.close();
        const upgraded = await openDatabase(older.url);
        const s = createStore(upgraded.db);
        expect((await s.workspaces.get('ws_first_aaaaaa'))?.name).toBe('api');
        expect(await s.workspaces.get('ws_second_bbbbbb')).toMatchObject({
          name: 'api-bbbbbb',
          generation: 0,
          agentState: null,
          taskId: null,
          repository: null,
        });
        // A workspace being deleted does not hold its name.
        expect((await s.workspaces.get('ws_gone_cccccc'))?.name).toBe('api');
        expect((await s.workspaces.get('ws_long2_eeeeee'))?.name).toBe(`${'x'.repeat(57)}-eeeeee`);
        const events = await upgraded.client.execute(
          "SELECT message FROM activity_events WHERE workspace_id = 'ws_second_bbbbbb'",
        );
        expect(events.rows.map((r) => r.message)).toEqual(['kept']);
        // From now on the database itself refuses a second name in the project.
        await expect(
          s.workspaces.insert({ ...workspaceRow({ name: 'api' }), projectId: 'prj_dup', ownerId: 'usr_dup' }),
        ).rejects.toThrow();
        await s.workspaces.insert({
          ...workspaceRow({ name: 'api', desiredState: 'deleted' }),
          projectId: 'prj_dup',
          ownerId: 'usr_dup',
        });
        upgraded.close();
      } finally {
        await older.stop();
      }
    }, 30_000);

    it('upgrades to emails unique whatever their case: the oldest user keeps a shared email, later ones lose it', async () => {
      const older = await backend.start();
      try {
        const cut = firstMigrations(migrationsBefore('0014_people'));
        const client = createClient({ url: older.url });
        await migrate(drizzle(client, { schema }), { migrationsFolder: cut.dir });
        cut.remove();
        const user = (id: string, email: string | null, at: number) => ({
          sql: 'INSERT INTO users (id, name, email, role, created_at) VALUES (?, ?, ?, ?, ?)',
          args: [id, id, email, 'member', at],
        });
        await client.batch([
          user('usr_late', 'Ada@Example.com', T + 5),
          user('usr_first', 'ada@example.com', T),
          user('usr_same', 'ADA@example.COM', T + 1),
          user('usr_tie_b', 'Carol@example.com', T + 1),
          user('usr_tie_a', 'carol@example.com', T + 1),
          user('usr_other', 'bob@example.com', T + 2),
          user('usr_none', null, T + 3),
        ]);
        client.close();
        const upgraded = await openDatabase(older.url);
        const s = createStore(upgraded.db);
        const email = async (id: string) => (await s.users.get(id))?.email;
        expect(await email('usr_first')).toBe('ada@example.com');
        expect(await email('usr_same')).toBeNull();
        expect(await email('usr_late')).toBeNull();
        // Same creation time: the smaller id counts as the older one.
        expect(await email('usr_tie_a')).toBe('carol@example.com');
        expect(await email('usr_tie_b')).toBeNull();
        expect(await email('usr_other')).toBe('bob@example.com');
        expect(await s.users.get('usr_none')).toMatchObject({ email: null, disabledAt: null });
        expect((await s.users.getByEmail('ADA@example.com'))?.id).toBe('usr_first');
        // From now on the database itself refuses the email again, in any case.
        await expect(
          upgraded.client.execute({
            sql: 'UPDATE users SET email = ? WHERE id = ?',
            args: ['aDa@example.com', 'usr_late'],
          }),
        ).rejects.toThrow();
        upgraded.close();
      } finally {
        await older.stop();
      }
    }, 30_000);

    it('round-trips every workspace status, desired state, node status, node isolation and role', async () => {
      for (const status of WORKSPACE_STATUSES) {
        const row = workspaceRow({ status, statusBeforeUnreachable: status });
        await store.workspaces.insert(row);
        expect(await store.workspaces.get(row.id)).toMatchObject({ status, statusBeforeUnreachable: status });
      }
      for (const desiredState of DESIRED_STATES) {
        const row = workspaceRow({ desiredState });
        await store.workspaces.insert(row);
        expect((await store.workspaces.get(row.id))?.desiredState).toBe(desiredState);
      }
      for (const status of NODE_STATUSES) {
        const row = nodeRow({ status });
        await store.nodes.insert(row);
        expect((await store.nodes.get(row.id))?.status).toBe(status);
      }
      for (const isolation of [...NODE_ISOLATIONS, null]) {
        const row = nodeRow({ isolation });
        await store.nodes.insert(row);
        expect((await store.nodes.get(row.id))?.isolation).toBe(isolation);
        await store.nodes.update(row.id, { isolation: 'process' });
        expect((await store.nodes.get(row.id))?.isolation).toBe('process');
      }
      for (const role of ROLES) {
        const id = newId('user');
        await store.users.insert({ id, name: role, email: null, role, createdAt: T });
        expect((await store.users.get(id))?.role).toBe(role);
      }
    });

    it('rejects a value outside each union in the database itself (CHECK constraints)', async () => {
      const c = database.client;
      const bad = [
        ['workspaces', 'status'],
        ['workspaces', 'status_before_unreachable'],
        ['workspaces', 'desired_state'],
      ] as const;
      for (const [, column] of bad) {
        const row = workspaceRow();
        await store.workspaces.insert(row);
        await expect(
          c.execute({ sql: `UPDATE workspaces SET ${column} = ? WHERE id = ?`, args: ['bogus', row.id] }),
        ).rejects.toThrow(/CHECK/i);
      }
      const n = nodeRow();
      await store.nodes.insert(n);
      await expect(
        c.execute({ sql: 'UPDATE nodes SET status = ? WHERE id = ?', args: ['asleep', n.id] }),
      ).rejects.toThrow(/CHECK/i);
      await expect(
        c.execute({ sql: 'UPDATE nodes SET isolation = ? WHERE id = ?', args: ['container', n.id] }),
      ).rejects.toThrow(/CHECK/i);
      await expect(
        c.execute({ sql: 'UPDATE users SET role = ? WHERE id = ?', args: ['root', userId] }),
      ).rejects.toThrow(/CHECK/i);
      // And through drizzle the failure surfaces as an error, never swallowed.
      await expect(store.workspaces.insert(workspaceRow({ status: 'paused' as never }))).rejects.toThrow();
    });

    it('never overfills a node, even with concurrent placement inserts', async () => {
      const node = nodeRow({ capacityWorkspaces: 3 });
      await store.nodes.insert(node);
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.workspaces.insertIfCapacity(workspaceRow({ nodeId: node.id, status: 'starting' })),
        ),
      );
      expect(results.filter(Boolean).length).toBe(3);
      expect((await store.nodes.get(node.id))?.workspaceCount).toBe(3);
      const unplaced = workspaceRow();
      await store.workspaces.insert(unplaced);
      expect(await store.workspaces.placeIfCapacity(unplaced.id, node.id, 'starting', T)).toBe(false);
    });

    it('places nothing on a drained node, in the same statement as the capacity check, and keeps its drain time', async () => {
      const node = nodeRow({ capacityWorkspaces: 3, drainedAt: T });
      await store.nodes.insert(node);
      expect((await store.nodes.get(node.id))?.drainedAt).toBe(T);
      expect(
        await store.workspaces.insertIfCapacity(workspaceRow({ nodeId: node.id, status: 'starting' })),
      ).toBe(false);
      const unplaced = workspaceRow();
      await store.workspaces.insert(unplaced);
      expect(await store.workspaces.placeIfCapacity(unplaced.id, node.id, 'starting', T)).toBe(false);
      await store.nodes.update(node.id, { drainedAt: null });
      expect(await store.workspaces.placeIfCapacity(unplaced.id, node.id, 'starting', T)).toBe(true);
    });

    it('writes every column of a workspace on both inserts, placed or not', async () => {
      const node = nodeRow();
      await store.nodes.insert(node);
      const full: Partial<WorkspaceRow> = {
        shell: 'zsh',
        generation: 3,
        taskId: 'tk00000000000000000001',
        repository: '{"url":"https://github.com/acme/app.git","dir":"app"}',
      };
      const unplaced = workspaceRow(full);
      const placed = workspaceRow({ ...full, nodeId: node.id, status: 'starting' });
      await store.workspaces.insert(unplaced);
      expect(await store.workspaces.insertIfCapacity(placed)).toBe(true);
      expect(await store.workspaces.get(unplaced.id)).toEqual(unplaced);
      expect(await store.workspaces.get(placed.id)).toEqual(placed);
    });

    it('round-trips every agent state of a workspace', async () => {
      const row = workspaceRow();
      await store.workspaces.insert(row);
      for (const agentState of AGENT_STATES) {
        const updated = await store.workspaces.update(row.id, row.status, { agentState });
        expect(updated?.agentState).toBe(agentState);
        expect((await store.workspaces.get(row.id))?.agentState).toBe(agentState);
      }
    });

    it('round-trips workspace resources, reading `{}` for rows written without them', async () => {
      const resources = { memoryMb: 4096, pids: 1000, cpus: 0.5 };
      const unplaced = workspaceRow({ resources: JSON.stringify(resources) });
      await store.workspaces.insert(unplaced);
      expect(workspaceResources((await store.workspaces.get(unplaced.id))!)).toEqual(resources);
      const node = nodeRow();
      await store.nodes.insert(node);
      const placed = workspaceRow({ nodeId: node.id, status: 'starting', resources: '{"pids":64}' });
      expect(await store.workspaces.insertIfCapacity(placed)).toBe(true);
      expect(workspaceResources((await store.workspaces.get(placed.id))!)).toEqual({ pids: 64 });
      // A row inserted without the column (as before it existed) gets the default: the node's limits.
      const older = newId('workspace');
      await database.client.execute({
        sql: `INSERT INTO workspaces (id, name, project_id, owner_id, status, desired_state, env, created_at, updated_at)
              VALUES (?, 'old', ?, ?, 'pending', 'running', '{}', ?, ?)`,
        args: [older, projectId, userId, T, T],
      });
      const row = (await store.workspaces.get(older))!;
      expect(row.resources).toBe('{}');
      expect(workspaceResources(row)).toEqual({});
    });

    it('reads stored resources it cannot validate as none set and says why', async () => {
      const problems: string[] = [];
      for (const stored of ['{"memoryMb":1}', 'not json', 'null']) {
        const row = workspaceRow({ resources: stored });
        await store.workspaces.insert(row);
        expect(workspaceResources((await store.workspaces.get(row.id))!, (p) => problems.push(p))).toEqual(
          {},
        );
      }
      expect(problems.length).toBe(3);
      expect(problems[0]).toContain('memoryMb');
    });

    it('updates a workspace only from the status it was read in (compare-and-set)', async () => {
      const row = workspaceRow({ status: 'running' });
      await store.workspaces.insert(row);
      expect(await store.workspaces.update(row.id, 'stopped', { status: 'starting' })).toBeUndefined();
      expect((await store.workspaces.update(row.id, 'running', { status: 'stopping' }))?.status).toBe(
        'stopping',
      );
    });

    it('writes lifecycle notes with the change they describe, and none when the change lost', async () => {
      const notes = async (id: string) =>
        (
          await database.client.execute({
            sql: 'SELECT type, message FROM activity_events WHERE workspace_id = ? ORDER BY id',
            args: [id],
          })
        ).rows.map((r) => `${r.type}: ${r.message}`);
      const node = nodeRow({ capacityWorkspaces: 1 });
      await store.nodes.insert(node);
      const created = [
        { type: 'created', message: 'made' },
        { type: 'placed', message: `on ${node.id}` },
      ];
      const first = workspaceRow({ nodeId: node.id, status: 'starting' });
      const second = workspaceRow({ nodeId: node.id, status: 'starting' });
      expect(await store.workspaces.insertIfCapacity(first, created)).toBe(true);
      // The node is full: no row, so no notes either (the foreign key would refuse them anyway).
      expect(await store.workspaces.insertIfCapacity(second, created)).toBe(false);
      expect(await notes(first.id)).toEqual(['workspace.created: made', `workspace.placed: on ${node.id}`]);
      expect(await notes(second.id)).toEqual([]);
      const stop = [{ type: 'stopping', message: 'stop requested' }];
      // A compare-and-set that lost (the status moved) writes no note; the one that won writes it.
      expect(
        await store.workspaces.update(first.id, 'running', { status: 'stopping', updatedAt: T }, stop),
      ).toBe(undefined);
      expect(
        (await store.workspaces.update(first.id, 'starting', { status: 'stopping', updatedAt: T }, stop))
          ?.status,
      ).toBe('stopping');
      expect(await notes(first.id)).toEqual([
        'workspace.created: made',
        `workspace.placed: on ${node.id}`,
        'workspace.stopping: stop requested',
      ]);
      const waiting = workspaceRow();
      await store.workspaces.insert(waiting, [{ type: 'created', message: 'waiting for room' }]);
      expect(await notes(waiting.id)).toEqual(['workspace.created: waiting for room']);
    });

    it('uses a join token once, even when two joins race', async () => {
      const hash = `h-${newId('joinToken')}`;
      await store.joinTokens.insert({
        id: newId('joinToken'),
        tokenHash: hash,
        createdBy: userId,
        laptop: false,
        labels: '{}',
        createdAt: T,
        expiresAt: T + 60_000,
        usedAt: null,
        usedByNode: null,
      });
      const [a, b] = await Promise.all([
        store.joinTokens.consume(hash, 'nd-a', T + 1),
        store.joinTokens.consume(hash, 'nd-b', T + 1),
      ]);
      expect([a, b].filter(Boolean).length).toBe(1);
      const expiredHash = `h-${newId('joinToken')}`;
      await store.joinTokens.insert({
        id: newId('joinToken'),
        tokenHash: expiredHash,
        createdBy: userId,
        laptop: false,
        labels: '{}',
        createdAt: T,
        expiresAt: T + 10,
        usedAt: null,
        usedByNode: null,
      });
      expect(await store.joinTokens.consume(expiredHash, 'nd-c', T + 10)).toBeUndefined();
    });

    it('consumes a login link once and only before it expires', async () => {
      await store.users.insertLoginLink('link-1', userId, T + 1000);
      expect(await store.users.consumeLoginLink('link-1', T)).toBe(userId);
      expect(await store.users.consumeLoginLink('link-1', T)).toBeUndefined();
      await store.users.insertLoginLink('link-2', userId, T + 1000);
      expect(await store.users.consumeLoginLink('link-2', T + 1000)).toBeUndefined();
    });

    it('finds API tokens by hash and revokes only the owner’s', async () => {
      const id = newId('apiToken');
      await store.apiTokens.insert({
        id,
        tokenHash: `hash-${id}`,
        userId,
        name: 't',
        scopes: '["read"]',
        createdAt: T,
        lastUsedAt: null,
        expiresAt: null,
        revokedAt: null,
      });
      expect((await store.apiTokens.findByHash(`hash-${id}`))?.id).toBe(id);
      expect(await store.apiTokens.revoke(id, newId('user'), T)).toBeUndefined();
      expect((await store.apiTokens.revoke(id, userId, T))?.revokedAt).toBe(T);
    });

    it('moves a revocation forward and lists it', async () => {
      const subject = `user:${userId}`;
      await store.revocations.upsert(subject, 100, T);
      await store.revocations.upsert(subject, 200, T + 1);
      const listed = (await store.revocations.list()).filter((r) => r.subject === subject);
      expect(listed).toEqual([{ subject, notBefore: 200, createdAt: new Date(T + 1).toISOString() }]);
      await store.revocations.upsert(`workspace:${newId('workspace')}`, 100, T - 10);
      expect(await store.revocations.prune(T)).toBe(1);
      expect((await store.revocations.list()).map((r) => r.subject)).toContain(subject);
    });

    it('deletes a project together with its workspaces', async () => {
      const pid = newId('project');
      await store.projects.insert({ id: pid, name: 'gone', description: '', ownerId: userId, createdAt: T });
      const w = workspaceRow({ projectId: pid });
      await store.workspaces.insert(w);
      await store.projects.remove(pid);
      expect(await store.projects.get(pid)).toBeUndefined();
      expect(await store.workspaces.get(w.id)).toBeUndefined();
    });

    it('keeps signing keys with their publication times and retires them once', async () => {
      const kid = newId('key');
      await store.signingKeys.insert({
        kid,
        publicJwk: '{}',
        sealedPrivateKey: 'x',
        createdAt: T,
        activatesAt: T,
        retiredAt: null,
        expiresAt: null,
      });
      await store.signingKeys.retire(kid, T + 5, T + 10);
      await store.signingKeys.retire(kid, T + 50, T + 100);
      expect((await store.signingKeys.list()).find((k) => k.kid === kid)).toMatchObject({
        retiredAt: T + 5,
        expiresAt: T + 10,
      });
    });

    const insertTask = (status: string, extra: { workspaceId?: string | null; key?: string | null } = {}) => {
      const id = newId('task');
      return database.client
        .execute({
          sql: `INSERT INTO tasks (id, project_id, owner_id, prompt, status, idempotency_key, request_hash,
                  workspace_id, created_at, updated_at) VALUES (?, ?, ?, 'p', ?, ?, 'h', ?, ?, ?)`,
          args: [id, projectId, userId, status, extra.key ?? null, extra.workspaceId ?? null, T, T],
        })
        .then(() => id);
    };

    it('round-trips every task status and refuses one outside the union (CHECK)', async () => {
      for (const status of TASK_STATUSES) {
        const id = await insertTask(status);
        const r = await database.client.execute({ sql: 'SELECT status FROM tasks WHERE id = ?', args: [id] });
        expect(r.rows[0]?.status).toBe(status);
      }
      await expect(insertTask('paused')).rejects.toThrow(/CHECK/i);
      const id = await insertTask('queued');
      await expect(
        database.client.execute({ sql: "UPDATE tasks SET status = 'done' WHERE id = ?", args: [id] }),
      ).rejects.toThrow(/CHECK/i);
      await expect(
        database.client.execute({
          sql: `INSERT INTO activity_events (workspace_id, at, kind, type, message) VALUES (?, ?, 'gossip', 't', 'm')`,
          args: [(await store.workspaces.list())[0]!.id, T],
        }),
      ).rejects.toThrow(/CHECK/i);
    });

    it('holds one task per idempotency key and one placing or running task per workspace', async () => {
      await insertTask('queued', { key: 'k-1' });
      await expect(insertTask('queued', { key: 'k-1' })).rejects.toThrow(/UNIQUE/i);
      const w = workspaceRow();
      await store.workspaces.insert(w);
      await insertTask('running', { workspaceId: w.id });
      await expect(insertTask('placing', { workspaceId: w.id })).rejects.toThrow(/UNIQUE/i);
      // Ended tasks do not hold the workspace.
      await insertTask('completed', { workspaceId: w.id });
      await insertTask('failed', { workspaceId: w.id });
    });

    it('keeps activity ids increasing after the newest events were deleted (AUTOINCREMENT), and searches them', async () => {
      const w = workspaceRow();
      await store.workspaces.insert(w);
      const add = async (message: string) =>
        Number(
          (
            await database.client.execute({
              sql: `INSERT INTO activity_events (workspace_id, at, kind, type, message)
                    VALUES (?, ?, 'lifecycle', 'workspace.step', ?) RETURNING id`,
              args: [w.id, T, message],
            })
          ).rows[0]?.id,
        );
      await add('first');
      const last = await add('second zebra');
      await database.client.execute({ sql: 'DELETE FROM activity_events WHERE id = ?', args: [last] });
      expect(await add('third')).toBeGreaterThan(last);
      const hits = await database.client.execute({
        sql: `SELECT e.message FROM activity_search s JOIN activity_events e ON e.id = s.rowid
              WHERE activity_search MATCH ? AND e.workspace_id = ?`,
        args: ['"third"', w.id],
      });
      expect(hits.rows.map((r) => r.message)).toEqual(['third']);
      const gone = await database.client.execute({
        sql: 'SELECT count(*) AS n FROM activity_search WHERE activity_search MATCH ?',
        args: ['"zebra"'],
      });
      expect(Number(gone.rows[0]?.n)).toBe(0);
      // Deleting the workspace deletes its events.
      await store.workspaces.remove(w.id);
      const left = await database.client.execute({
        sql: 'SELECT count(*) AS n FROM activity_events WHERE workspace_id = ?',
        args: [w.id],
      });
      expect(Number(left.rows[0]?.n)).toBe(0);
    });
  });
}
