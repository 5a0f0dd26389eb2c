// Tests of the node fleet's recovery on a real libSQL file: pool rows a previous run left mid-way are destroyed
// and forgotten before the first maintenance, so they never count toward the pool's minimum.
import { afterEach, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../../contract/index.ts';
import { systemClock } from '../clock.ts';
import { createStore, type Database, openDatabase } from '../db/index.ts';
import { createLog } from '../log.ts';
import { testNodeRow } from '../testing/index.ts';
import { WarmPoolStore } from '../warm-pool/index.ts';
import { defaultInfraConfig } from './infra-config.ts';
import { createNodeFleet } from './node-fleet.ts';

let dir: string;
let database: Database;
afterEach(() => {
  database?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('NodeFleet recovery', () => {
  it('forgets pool nodes left provisioning, reaping or (local) warm by an earlier run, and keeps claimed ones', async () => {
    dir = mkdtempSync(join(tmpdir(), 'warren-fleet-'));
    database = await openDatabase(`file:${join(dir, 'control.db')}`);
    const store = createStore(database.db);
    const pools = new WarmPoolStore(database.client);
    const now = Date.now();
    const ids = {
      provisioning: newId('node'),
      reaping: newId('node'),
      warm: newId('node'),
      claimed: newId('node'),
    };
    for (const [state, id] of Object.entries(ids)) {
      await store.nodes.insert(
        testNodeRow({
          id,
          name: state,
          publicKey: `{"x":"${id}"}`,
          labels: '{"warren.pool":"instance"}',
          capacityWorkspaces: 1,
          lastHeartbeatAt: now,
          createdAt: now,
        }),
      );
    }
    await pools.insertProvisioning(ids.provisioning, 'instance', now);
    await pools.insertProvisioning(ids.reaping, 'instance', now);
    await pools.markWarm(ids.reaping, now);
    expect(await pools.markReaping(ids.reaping)).toBe(true);
    await pools.insertProvisioning(ids.warm, 'instance', now);
    await pools.markWarm(ids.warm, now);
    await pools.insertClaimed(ids.claimed, 'instance', newId('workspace'), now);

    const fleet = createNodeFleet({
      config: {
        ...defaultInfraConfig(),
        // The refill after recovery fails at once (a node command that exits): only recovery is under test.
        provider: { kind: 'local', nodeCommand: [process.execPath, '-e', 'process.exit(1)', '--'] },
        warmPool: { minWarm: 1, idleTimeoutMs: 60_000, scope: 'instance', maintainEveryMs: 60_000 },
      },
      store,
      database,
      clock: systemClock,
      log: createLog({ quiet: true }),
      dataDir: dir,
      controlUrl: 'http://127.0.0.1:1',
    });
    await fleet.maintain();
    const left = await pools.list('instance');
    expect(left.map((r) => r.id)).toEqual([ids.claimed]);
    expect(await store.nodes.get(ids.claimed)).toBeDefined();
    for (const id of [ids.provisioning, ids.reaping, ids.warm])
      expect(await store.nodes.get(id)).toBeUndefined();
    const revoked = (await store.revocations.list()).map((r) => r.subject);
    expect(revoked).toContain(`node:${ids.warm}`);
    await fleet.stop();
  });
});
