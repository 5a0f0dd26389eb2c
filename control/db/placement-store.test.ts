// The node's occupied-slot count kept by triggers, and the one-batch create that places with it, on a file and on
// a real sqld: the count always equals a count of the rows, and SQL placement picks the node `rankNodes` picks.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { newId } from '../../contract/index.ts';
import { DATABASE_BACKENDS, testNodeRow, testWorkspaceRow } from '../testing/index.ts';
import { POOL_LABEL, rankNodes } from '../workspaces/placement.ts';
import { type Database, openDatabase } from './database.ts';
import type { NodeRow } from './nodes.ts';
import { createStore, type Store } from './store.ts';
import type { WorkspaceRow } from './workspaces.ts';

const T = 1_800_000_000_000;

/** A deterministic pseudo-random sequence, so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

for (const backend of DATABASE_BACKENDS) {
  describe(`Placement in the database, on ${backend.name}`, () => {
    let server: { url: string; stop(): Promise<void> };
    let database: Database;
    let store: Store;
    let ownerId: string;
    let otherId: string;
    let projectId: string;

    beforeAll(async () => {
      server = await backend.start();
      database = await openDatabase(server.url);
      store = createStore(database.db);
      ownerId = newId('user');
      otherId = newId('user');
      for (const id of [ownerId, otherId])
        await store.users.insert({ id, name: id, email: null, role: 'member', createdAt: T });
      projectId = newId('project');
      await store.projects.insert({ id: projectId, name: 'p', description: '', ownerId, createdAt: T });
    }, 30_000);
    afterAll(async () => {
      database.close();
      await server.stop();
    });

    const addNode = async (overrides: Partial<NodeRow> = {}): Promise<string> => {
      const node = testNodeRow(overrides);
      await store.nodes.insert(node);
      return node.id;
    };
    const row = (overrides: Partial<WorkspaceRow> = {}) => testWorkspaceRow(projectId, ownerId, overrides);
    /** Each node's kept count beside a count of its rows. */
    const counts = async (nodeIds: string[]) => {
      const out: { kept: number; counted: number }[] = [];
      for (const id of nodeIds) {
        const r = await database.client.execute({
          sql: `SELECT occupied_workspaces AS kept,
                  (SELECT count(*) FROM workspaces WHERE node_id = ? AND desired_state != 'deleted') AS counted
                FROM nodes WHERE id = ?`,
          args: [id, id],
        });
        out.push({ kept: Number(r.rows[0]?.kept), counted: Number(r.rows[0]?.counted) });
      }
      return out;
    };

    it('keeps each node’s occupied slots equal to a count of its rows through every kind of change', async () => {
      const next = random(7);
      const nodeIds = [
        await addNode({ capacityWorkspaces: 50 }),
        await addNode({ capacityWorkspaces: 50 }),
        await addNode({ capacityWorkspaces: 50 }),
      ];
      const pick = () => nodeIds[Math.floor(next() * nodeIds.length)] as string;
      const live: string[] = [];
      for (let step = 0; step < 120; step++) {
        const r = next();
        const id = live[Math.floor(next() * live.length)];
        if (r < 0.3 || !id) {
          const w = row();
          if (next() < 0.5)
            await store.workspaces.insertIfCapacity({ ...w, nodeId: pick(), status: 'starting' });
          else await store.workspaces.insert(w);
          live.push(w.id);
        } else if (r < 0.45) {
          await store.workspaces.placeIfCapacity(id, pick(), 'starting', T);
        } else if (r < 0.6) {
          // A move to another node, or back to unplaced (raw SQL: triggers see every writer).
          await database.client.execute({
            sql: 'UPDATE workspaces SET node_id = ? WHERE id = ?',
            args: [next() < 0.3 ? null : pick(), id],
          });
        } else if (r < 0.75) {
          const current = await store.workspaces.get(id);
          if (current)
            await store.workspaces.update(id, current.status, {
              desiredState: current.desiredState === 'deleted' ? 'running' : 'deleted',
            });
        } else if (r < 0.85) {
          await database.client.execute({
            sql: `UPDATE workspaces SET status = 'running', updated_at = ? WHERE id = ?`,
            args: [T + step, id],
          });
        } else {
          await store.workspaces.remove(id);
          live.splice(live.indexOf(id), 1);
        }
        for (const c of await counts(nodeIds)) expect(c.kept).toBe(c.counted);
      }
      const before = await counts(nodeIds);
      expect(before.reduce((n, c) => n + c.counted, 0)).toBeGreaterThan(0);
      // Removing a node unplaces its workspaces (the foreign key sets null): the others' counts stay right.
      await store.nodes.remove(nodeIds[0] as string);
      for (const c of await counts(nodeIds.slice(1))) expect(c.kept).toBe(c.counted);
    });

    it('places a one-batch create on the node rankNodes ranks first, or on none when none has room', async () => {
      const next = random(11);
      for (let round = 0; round < 12; round++) {
        // A fleet of its own per round: the others are full, so only this round's nodes can take it.
        await database.client.execute(`UPDATE nodes SET capacity_workspaces = 0`);
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          const roll = next();
          ids.push(
            await addNode({
              capacityWorkspaces: 1 + Math.floor(next() * 4),
              status: roll < 0.15 ? 'offline' : 'online',
              drainedAt: roll > 0.85 ? T : null,
              labels:
                roll > 0.7 && roll <= 0.85
                  ? JSON.stringify({ [POOL_LABEL]: 'pool-a' })
                  : roll > 0.6 && roll <= 0.7
                    ? 'not json'
                    : JSON.stringify({ team: 'x' }),
            }),
          );
        }
        for (const id of ids) {
          const fill = Math.floor(next() * 3);
          for (let i = 0; i < fill; i++)
            await store.workspaces.insertIfCapacity(row({ nodeId: id, status: 'running' }));
        }
        const expected = rankNodes(await store.nodes.list())[0]?.id;
        const w = row();
        const placed = await store.workspaces.insertOnRoomiestNode(
          { ...w, resources: null },
          ownerId,
          POOL_LABEL,
        );
        expect(placed?.node.id).toBe(expected);
        if (!placed) expect(await store.workspaces.get(w.id)).toBeUndefined();
      }
    });

    it('answers concurrent mint reads of many workspaces each with its own row (read together on sqld)', async () => {
      await database.client.execute(`UPDATE nodes SET capacity_workspaces = 0`);
      const nodeId = await addNode({ capacityWorkspaces: 40, address: 'http://10.0.0.9:7000' });
      const rows = Array.from({ length: 30 }, (_, i) =>
        row(
          i % 3 === 0 ? {} : { nodeId, status: 'running', desiredState: i % 5 === 0 ? 'deleted' : 'running' },
        ),
      );
      for (const w of rows) await store.workspaces.insert(w);
      const found = await Promise.all([
        ...rows.map((w) => store.workspaces.accessTarget(w.id)),
        store.workspaces.accessTarget('wsp_none'),
      ]);
      expect(found.at(-1)).toBeUndefined();
      for (const [i, w] of rows.entries())
        expect(found[i]).toEqual({
          id: w.id,
          ownerId,
          nodeId: w.nodeId,
          desiredState: w.desiredState,
          nodeAddress: w.nodeId ? 'http://10.0.0.9:7000' : null,
          nodeBaseDomain: null,
        });
    });

    it('fills what the request left out from the project, and places only for the project’s owner or an admin', async () => {
      await database.client.execute(`UPDATE nodes SET capacity_workspaces = 0`);
      const nodeId = await addNode({ capacityWorkspaces: 10 });
      await store.projects.update(projectId, {
        appCommand: 'bun dev',
        agentCommand: 'claude',
        resources: JSON.stringify({ memoryMb: 512 }),
      });
      const other = row({ ownerId: otherId });
      expect(
        await store.workspaces.insertOnRoomiestNode({ ...other, resources: null }, otherId, POOL_LABEL),
      ).toBeUndefined();
      expect(await store.workspaces.get(other.id)).toBeUndefined();
      const w = row({ appCommand: 'node app.js' });
      const placed = await store.workspaces.insertOnRoomiestNode(
        { ...w, resources: null },
        ownerId,
        POOL_LABEL,
      );
      expect(placed?.workspace).toMatchObject({
        nodeId,
        status: 'starting',
        appCommand: 'node app.js',
        agentCommand: 'claude',
        resources: JSON.stringify({ memoryMb: 512 }),
      });
      // What the create answers with is the row as stored.
      expect(placed?.workspace).toEqual((await store.workspaces.get(w.id)) as WorkspaceRow);
      expect(placed?.agentPermissions).toBe('ask');
      // An admin (no owner filter) may use anyone's project.
      const byAdmin = row({ ownerId: otherId });
      expect(
        (await store.workspaces.insertOnRoomiestNode({ ...byAdmin, resources: '{}' }, undefined, POOL_LABEL))
          ?.workspace.resources,
      ).toBe('{}');
      const log = await database.client.execute({
        sql: 'SELECT type, message FROM activity_events WHERE workspace_id = ? ORDER BY id',
        args: [w.id],
      });
      expect(log.rows.map((r) => [r.type, r.message])).toEqual([
        ['workspace.created', `workspace ${w.name} created`],
        ['workspace.placed', `placed on node ${nodeId}`],
      ]);
    });
  });
}
