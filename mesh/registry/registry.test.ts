// Registry gossip across a cluster: publish, delete, tombstone collection, partition and heal.
import { describe, expect, it } from 'bun:test';
import { newId, type WorkspaceEntryValue } from '../../contract/index.ts';
import { localMeshConfig } from '../config.ts';
import type { MeshNode } from '../node.ts';
import { cluster, type TestCluster } from '../testing/index.ts';

async function ready(size: number, seed: number): Promise<TestCluster> {
  const c = await cluster({ size, seed });
  const ok = await c.until(
    () =>
      c.live().every((n) => n.members().filter((m) => m.state === 'alive').length === size) &&
      c.live().every((n) => n.entries('member').length === size),
    20_000,
  );
  expect(ok).toBe(true);
  return c;
}

const ws = (node: MeshNode, workspaceId = newId('workspace')): WorkspaceEntryValue => ({
  workspaceId,
  nodeId: node.id,
  status: 'running',
  ports: [3000],
});

describe('Registry gossip', () => {
  it('converges through push-pull alone when entries do not fit in a packet', async () => {
    // Packets too small for any entry: only anti-entropy (digest, diff, covered watermarks) can carry them.
    const c = await cluster({ size: 5, seed: 24, config: { ...localMeshConfig(), maxPacketBytes: 300 } });
    expect(await c.until(() => c.live().every((n) => n.entries('member').length === 5), 30_000)).toBe(true);
    const [a] = c.live() as [MeshNode];
    const values = [ws(a), ws(a), ws(a)];
    for (const v of values) a.publish('workspace', v);
    a.remove('workspace', values[1]?.workspaceId);
    const want = (n: MeshNode) =>
      n.route(values[0]?.workspaceId as string).found &&
      !n.route(values[1]?.workspaceId as string).found &&
      n.route(values[2]?.workspaceId as string).found;
    expect(await c.until(() => c.live().every(want), 30_000)).toBe(true);
    expect(c.live().every((n) => n.digest()[a.id] === a.digest()[a.id])).toBe(true);
    expect(c.live().every((n) => n.metrics.syncs > 0)).toBe(true);
  });

  it('carries a published entry to every member and its deletion after it', async () => {
    const c = await ready(6, 21);
    const [a] = c.live() as [MeshNode];
    const value = ws(a);
    a.publish('workspace', value);
    const key = `workspace/${value.workspaceId}`;
    expect(await c.until(() => c.live().every((n) => n.entry(a.id, key) !== undefined), 5000)).toBe(true);
    expect(c.live().every((n) => n.route(value.workspaceId).found)).toBe(true);
    a.remove('workspace', value.workspaceId);
    expect(await c.until(() => c.live().every((n) => n.entry(a.id, key) === undefined), 5000)).toBe(true);
    expect(c.live().every((n) => !n.route(value.workspaceId).found)).toBe(true);
  });

  it('collects tombstones everywhere once every live member has acknowledged them', async () => {
    const c = await ready(4, 22);
    const [a] = c.live() as [MeshNode];
    const value = ws(a);
    a.publish('workspace', value);
    await c.run(2000);
    a.remove('workspace', value.workspaceId);
    await c.run(1000);
    expect(c.live().every((n) => n.metrics.tombstonesCollected === 0)).toBe(true);
    // tombstoneMinAgeMs is 5 s in localMeshConfig; push-pull every second spreads the acknowledgements.
    expect(await c.until(() => c.live().every((n) => n.metrics.tombstonesCollected >= 1), 30_000)).toBe(true);
    // A stale copy of the deleted entry arriving afterwards does not come back.
    const digests = c.live().map((n) => n.digest());
    expect(new Set(digests.map((d) => JSON.stringify(d, Object.keys(d).sort()))).size).toBe(1);
  });

  it('converges after a partition heals, with one owner per workspace', async () => {
    const c = await ready(5, 23);
    const [a, b, , , e] = c.live() as [MeshNode, MeshNode, MeshNode, MeshNode, MeshNode];
    const moving = ws(e);
    const staying = ws(e);
    e.publish('workspace', moving);
    e.publish('workspace', staying);
    expect(await c.until(() => c.live().every((n) => n.route(staying.workspaceId).found), 5000)).toBe(true);

    const addr = (n: MeshNode) => n.address;
    c.network.partition([addr(a), addr(b), ...c.live().slice(2, 4).map(addr)], [addr(e)]);
    // During the split, e's workspaces answer 503 at a (suspect or dead host).
    expect(
      await c.until(
        () =>
          a.route(staying.workspaceId).found &&
          !(a.route(staying.workspaceId) as { available: boolean }).available,
        10_000,
      ),
    ).toBe(true);
    const during = a.route(staying.workspaceId);
    expect(during.found && during.retryAfterSeconds).toBeGreaterThan(0);
    // Meanwhile the workspace is moved: e stops it, b starts it.
    e.remove('workspace', moving.workspaceId);
    b.publish('workspace', ws(b, moving.workspaceId));
    await c.run(3000);

    c.network.heal();
    const owners = (n: MeshNode) =>
      n
        .entries('workspace')
        .filter((x) => (x.value as WorkspaceEntryValue).workspaceId === moving.workspaceId);
    const done = () =>
      c.live().every((n) => n.members().every((m) => m.state === 'alive')) &&
      c.live().every((n) => owners(n).length === 1 && owners(n)[0]?.origin === b.id) &&
      c.live().every((n) => {
        const r = n.route(staying.workspaceId);
        return r.found && r.nodeId === e.id;
      });
    expect(await c.until(done, 30_000)).toBe(true);
    const d0 = JSON.stringify(Object.entries(a.digest()).sort());
    expect(
      await c.until(
        () => c.live().every((n) => JSON.stringify(Object.entries(n.digest()).sort()) === d0),
        10_000,
      ),
    ).toBe(true);
  });
});
