// MeshNode's public API: publishing rules, the control plane as a member, events, and restarts.
import { describe, expect, it } from 'bun:test';
import { CONTROL_ORIGIN, newId, type Revocation } from '../contract/index.ts';
import { localMeshConfig } from './config.ts';
import { createMeshNode, type MeshEvent, type MeshNode } from './node.ts';
import { MeshError } from './registry/replica.ts';
import { CertificateTrust } from './registry/trust.ts';
import { cluster } from './testing/index.ts';

async function ready(size: number, seed: number) {
  const c = await cluster({ size, seed });
  expect(
    await c.until(
      () =>
        c.live().every((n) => n.entries('member').length === size) &&
        c.live().every((n) => n.members().every((m) => m.state === 'alive')),
      10_000,
    ),
  ).toBe(true);
  return c;
}

describe('MeshNode', () => {
  it('refuses to publish what peers would drop: kinds of another writer, values of another node', async () => {
    const c = await ready(2, 51);
    const [a, b] = c.live() as [MeshNode, MeshNode];
    expect(() => a.publish('revocation', { subject: `user:${'0'.repeat(22)}`, notBefore: 1 })).toThrow(
      MeshError,
    );
    expect(() =>
      a.publish('workspace', {
        workspaceId: newId('workspace'),
        nodeId: b.id,
        status: 'running',
        ports: [1],
      }),
    ).toThrow(MeshError);
    expect(() =>
      a.publish('workspace', { workspaceId: 'nope', nodeId: a.id, status: 'running', ports: [1] }),
    ).toThrow(MeshError);
  });

  it('carries the control plane as a member: its revocations reach every node, signed with a JWKS key', async () => {
    const c = await ready(4, 52);
    const ca = c.authority;
    if (!ca) throw new Error('certificate cluster expected');
    const control = createMeshNode({
      transport: c.network.transport('mem-control'),
      identity: { origin: CONTROL_ORIGIN, privateKey: ca.privateKey },
      trust: new CertificateTrust({ controlJwks: ca.jwks, issuer: ca.issuer, now: () => c.clock.now() }),
      config: localMeshConfig(),
      clock: c.clock,
    });
    void control.join([c.live()[0]?.address as string]);
    const revocation: Revocation = { subject: `user:us${'0'.repeat(20)}`, notBefore: 1_700_000_000 };
    control.publish('revocation', revocation);
    const key = `revocation/${revocation.subject}`;
    expect(
      await c.until(() => c.live().every((n) => n.entry(CONTROL_ORIGIN, key) !== undefined), 10_000),
    ).toBe(true);
    expect(c.live().every((n) => n.member(CONTROL_ORIGIN)?.state === 'alive')).toBe(true);
    // The control plane going away does not take its revocations with it.
    await control.close();
    await c.run(20_000);
    expect(c.live().every((n) => n.entry(CONTROL_ORIGIN, key) !== undefined)).toBe(true);
  });

  it('reports a JSON-safe status for the status views', async () => {
    const c = await ready(3, 56);
    const [a] = c.live() as [MeshNode];
    a.publish('workspace', { workspaceId: newId('workspace'), nodeId: a.id, status: 'running', ports: [1] });
    const s = JSON.parse(JSON.stringify(a.status()));
    expect(s.memberStates).toEqual({ alive: 3, suspect: 0, dead: 0, left: 0 });
    expect(s.registry.entries).toEqual({ workspace: 1, member: 3, keyset: 0, revocation: 0 });
    expect(s.members).toHaveLength(3);
    expect(s.metrics.droppedEntries['bad-signature']).toBe(0);
    expect(s.protocolVersion).toBe(1);
  });

  it('tells subscribers about entries and member changes', async () => {
    const c = await ready(3, 53);
    const [a, b] = c.live() as [MeshNode, MeshNode];
    const events: MeshEvent[] = [];
    b.subscribe((e) => events.push(e));
    const wsId = newId('workspace');
    a.publish('workspace', { workspaceId: wsId, nodeId: a.id, status: 'running', ports: [3000] });
    expect(
      await c.until(
        () => events.some((e) => e.type === 'entry' && e.entry.key === `workspace/${wsId}`),
        5000,
      ),
    ).toBe(true);
    await c.kill(2);
    expect(
      await c.until(() => events.some((e) => e.type === 'member' && e.member.state === 'suspect'), 5000),
    ).toBe(true);
  });

  it('after a restart with fresh state, deletes its own entries from the previous life', async () => {
    const c = await ready(3, 54);
    const victim = c.nodes[2] as MeshNode;
    const wsId = newId('workspace');
    victim.publish('workspace', { workspaceId: wsId, nodeId: victim.id, status: 'running', ports: [3000] });
    const key = `workspace/${wsId}`;
    expect(await c.until(() => c.live().every((n) => n.entry(victim.id, key) !== undefined), 5000)).toBe(
      true,
    );
    await c.kill(2);
    await c.run(200);
    // Restarted without that workspace (it did not survive the restart): the stale entry must go.
    await c.restart(2);
    expect(await c.until(() => c.live().every((n) => n.entry(victim.id, key) === undefined), 20_000)).toBe(
      true,
    );
    expect(c.live().every((n) => n.entries('member').length === 3)).toBe(true);
  });

  it('says it is in sync only once a push-pull brought in everything a peer held', async () => {
    const c = await ready(3, 57);
    const [a] = c.live() as [MeshNode];
    const ids = Array.from({ length: 5 }, () => newId('workspace'));
    for (const workspaceId of ids)
      a.publish('workspace', { workspaceId, nodeId: a.id, status: 'running', ports: [1] });
    expect(await c.until(() => c.live().every((n) => n.entries('workspace').length === 5), 20_000)).toBe(
      true,
    );
    await c.kill(2);
    // Let gossip of those entries die down, so the restarted member can only learn them by push-pull.
    await c.run(5_000);
    const reborn = await c.restart(2, 0);
    expect(reborn.syncedAt()).toBeUndefined();
    expect(reborn.status().registry.synced).toBe(false);
    expect(await c.until(() => reborn.syncedAt() !== undefined, 20_000)).toBe(true);
    // Checked at the first moment it said so: it held all of them.
    expect(reborn.entries('workspace').length).toBe(5);
    expect(reborn.status().registry.synced).toBe(true);
  });

  it('wins over its previous life even when its clock went back across the restart', async () => {
    const c = await ready(3, 55);
    const id = c.identities[2] as (typeof c.identities)[number];
    const wsId = newId('workspace');
    (c.nodes[2] as MeshNode).publish('workspace', {
      workspaceId: wsId,
      nodeId: id.origin,
      status: 'running',
      ports: [1],
    });
    expect(await c.until(() => c.live().every((n) => n.route(wsId).found), 5000)).toBe(true);
    await c.kill(2);
    const behind = { now: () => c.clock.now() - 3_600_000, setTimer: c.clock.setTimer.bind(c.clock) };
    const reborn = createMeshNode({
      transport: c.network.transport(id.address),
      identity: { origin: id.origin, privateKey: id.privateKey, certificate: id.certificate },
      trust: new CertificateTrust({
        controlJwks: c.authority?.jwks ?? { keys: [] },
        now: () => c.clock.now(),
      }),
      config: localMeshConfig(),
      clock: behind,
    });
    reborn.publish('member', {
      nodeId: id.origin,
      name: 'reborn',
      meshAddress: id.address,
      proxyUrl: 'http://reborn',
      certificate: id.certificate as string,
    });
    void reborn.join([c.identities[0]?.address as string]);
    const others = c.live().filter((n) => n !== reborn);
    const proxyUrl = (n: MeshNode) =>
      (n.entry(id.origin, 'member')?.value as { proxyUrl: string } | undefined)?.proxyUrl;
    expect(
      await c.until(
        () => others.every((n) => proxyUrl(n) === 'http://reborn' && !n.route(wsId).found),
        20_000,
      ),
    ).toBe(true);
    await reborn.close();
  });
});
