// Tests of the warm pool on a real libSQL file: atomic claims under concurrency, idle reaping, progress order.
import { afterEach, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { eventually, FakeClock } from '../../mesh/testing/index.ts';
import { openDatabase } from '../db/index.ts';
import { createLocalProvider, type Provider, provisionNode } from '../providers/index.ts';
import { WarmPool, type WarmPoolEvent, WarmPoolStore } from './index.ts';

let dir: string;
const clients: Client[] = [];
let provider: Provider | undefined;

afterEach(async () => {
  if (provider) for (const n of await provider.list()) await provider.destroy(n.nodeId);
  provider = undefined;
  for (const c of clients.splice(0)) c.close();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(file: string): Promise<Client> {
  const c = createClient({ url: `file:${file}` });
  await c.execute('PRAGMA journal_mode = WAL');
  await c.execute('PRAGMA busy_timeout = 5000');
  clients.push(c);
  return c;
}

/** The control plane's own database (drizzle migrations create `warm_nodes`), then a store on it. */
async function openStore(): Promise<{ file: string; store: WarmPoolStore }> {
  dir = mkdtempSync(join(tmpdir(), 'warren-warm-'));
  const file = join(dir, 'warren.db');
  const database = await openDatabase(`file:${file}`);
  clients.push(database.client);
  const store = new WarmPoolStore(database.client);
  return { file, store };
}

/** A stand-in node process that says ready and runs until stopped. */
const NODE = `require('node:fs').writeFileSync('ready', ''); setInterval(() => {}, 1000);`;

function poolWith(store: WarmPoolStore, clock: FakeClock, minWarm: number) {
  provider = createLocalProvider({
    baseDir: join(dir, 'nodes'),
    command: () => ({ argv: [process.execPath, '-e', NODE] }),
    waitReady: ({ dataDir }) =>
      eventually(() => existsSync(join(dataDir, 'ready')), 'ready', 10_000).then(() => {}),
    clock,
  });
  const p = provider;
  let n = 0;
  const deps = {
    provider: p,
    controlUrl: 'http://127.0.0.1:1',
    mintJoinToken: async (id: string) => ({
      token: `wrn_join_${id}`,
      expiresAt: new Date(clock.now() + 600_000),
    }),
    clock,
  };
  return new WarmPool({
    store,
    provision: (nodeId, pool, onProgress) =>
      provisionNode(deps, { nodeId, projectId: pool, ephemeral: true }, onProgress),
    destroy: (nodeId) => p.destroy(nodeId),
    newNodeId: () => `nd-w${++n}`,
    clock,
    config: { minWarm, idleTimeoutMs: 30 * 60_000 },
  });
}

describe('WarmPoolStore', () => {
  it('never hands one warm node to two of 10 concurrent claims over 5 connections', async () => {
    const { file, store } = await openStore();
    for (const id of ['nd-a', 'nd-b']) {
      await store.insertProvisioning(id, 'pj1', 0);
      await store.markWarm(id, 1);
    }
    const stores = [
      store,
      ...(await Promise.all([1, 2, 3, 4].map(async () => new WarmPoolStore(await connect(file))))),
    ];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => stores[i % stores.length]!.claim('pj1', `ws${i}`, 100)),
    );
    const won = results.filter((r): r is string => r !== undefined);
    expect(won.sort()).toEqual(['nd-a', 'nd-b']);
    const rows = await store.list('pj1');
    expect(rows.every((r) => r.state === 'claimed')).toBe(true);
    // Each node is held by exactly the workspace whose claim returned it.
    for (const row of rows) expect(results[Number(row.claimedBy!.slice(2))]).toBe(row.id);
  });

  it('claims only within the pool, and not a node being provisioned', async () => {
    const { store } = await openStore();
    await store.insertProvisioning('nd-p', 'pj1', 0);
    await store.insertProvisioning('nd-o', 'pj2', 0);
    await store.markWarm('nd-o', 1);
    expect(await store.claim('pj1', 'ws1', 2)).toBeUndefined();
  });

  it('does not let a reaper take a node a claim got first', async () => {
    const { store } = await openStore();
    await store.insertProvisioning('nd-a', 'pj1', 0);
    await store.markWarm('nd-a', 0);
    expect(await store.claim('pj1', 'ws1', 1)).toBe('nd-a');
    expect(await store.markReaping('nd-a')).toBe(false);
  });

  it('keeps the state union in the database', async () => {
    const { store } = await openStore();
    const db = clients[0]!;
    await expect(
      db.execute(`INSERT INTO warm_nodes (id, pool, state, created_at) VALUES ('x', 'p', 'sleeping', 0)`),
    ).rejects.toThrow();
    await expect(
      db.execute(`INSERT INTO warm_nodes (id, pool, state, created_at) VALUES ('y', 'p', 'claimed', 0)`),
    ).rejects.toThrow();
    await expect(store.markWarm('nd-none', 0)).rejects.toThrow('changed 0 rows');
  });
});

describe('WarmPool with the local provider', () => {
  it('serves 10 concurrent workspaces from a pool of 2: two warm claims, eight cold starts, no node twice', async () => {
    const { store } = await openStore();
    const clock = new FakeClock(Date.UTC(2030, 0, 1));
    const pool = poolWith(store, clock, 2);
    expect(await pool.replenish('pj1')).toEqual(['nd-w1', 'nd-w2']);
    const events = new Map<string, WarmPoolEvent[]>();
    const acquired = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const log: WarmPoolEvent[] = [];
        events.set(`ws${i}`, log);
        return pool.acquire('pj1', `ws${i}`, (e) => log.push(e));
      }),
    );
    const warm = acquired.filter((a) => a.warm).map((a) => a.nodeId);
    expect(warm.sort()).toEqual(['nd-w1', 'nd-w2']);
    expect(new Set(acquired.map((a) => a.nodeId)).size).toBe(10);
    expect((await provider!.list()).length).toBe(10);
    const rows = await store.list('pj1');
    expect(rows.filter((r) => r.state === 'claimed')).toHaveLength(10);
    expect(new Set(rows.map((r) => r.claimedBy)).size).toBe(10);

    // Progress in order: a warm claim is one step; a cold start reports the provisioning steps after it.
    for (const [i, a] of acquired.entries()) {
      const steps = events.get(`ws${i}`)!.map((e) => `${e.step}:${e.state}`);
      expect(steps).toEqual(
        a.warm
          ? ['warm_claim:started', 'warm_claim:done']
          : [
              'warm_claim:started',
              'warm_claim:failed',
              'join_token:started',
              'join_token:done',
              'machine:started',
              'machine:done',
              'node_started:started',
              'node_started:done',
            ],
      );
    }
    // The pool refills to its minimum.
    expect(await pool.replenish('pj1')).toEqual(['nd-w11', 'nd-w12']);
  });

  it('refills once when asked twice at the same time, and maintains several pools', async () => {
    const { store } = await openStore();
    const clock = new FakeClock(0);
    const pool = poolWith(store, clock, 2);
    const [a, b] = await Promise.all([pool.replenish('pj1'), pool.replenish('pj1')]);
    expect(a).toEqual(['nd-w1', 'nd-w2']);
    expect(b).toEqual(a);
    expect(await store.countAvailable('pj1')).toBe(2);
    const report = await pool.maintain(['pj1', 'pj2']);
    expect(report).toEqual([
      { pool: 'pj1', started: [], reaped: [] },
      { pool: 'pj2', started: ['nd-w3', 'nd-w4'], reaped: [] },
    ]);
  });

  it('reaps warm nodes idle past the timeout, longest idle first, keeping the minimum', async () => {
    const { store } = await openStore();
    const clock = new FakeClock(0);
    const pool = poolWith(store, clock, 1);
    await pool.replenish('pj1'); // nd-w1 warm, idle since 0
    await pool.acquire('pj1', 'ws1'); // claims nd-w1
    await pool.acquire('pj1', 'ws2'); // cold: nd-w2
    await pool.replenish('pj1'); // nd-w3 warm, idle since 0
    clock.advance(10 * 60_000);
    await pool.release('nd-w1');
    await pool.release('nd-w2'); // both idle since 10 min

    clock.advance(20 * 60_000 - 1); // 30 min less 1 ms: nobody idle long enough
    expect(await pool.reap('pj1')).toEqual([]);
    clock.advance(1); // nd-w3 idle 30 min
    const pid3 = (await provider!.list()).find((n) => n.nodeId === 'nd-w3')!.providerRef;
    expect(await pool.reap('pj1')).toEqual(['nd-w3']);
    expect(() => process.kill(Number(pid3), 0)).toThrow();

    clock.advance(10 * 60_000); // nd-w1 and nd-w2 idle 30 min; keep one of them
    expect(await pool.reap('pj1')).toEqual(['nd-w1']);
    const left = await store.list('pj1');
    expect(left.map((r) => [r.id, r.state])).toEqual([['nd-w2', 'warm']]);
    expect((await provider!.list()).map((n) => n.nodeId)).toEqual(['nd-w2']);
  });
});
