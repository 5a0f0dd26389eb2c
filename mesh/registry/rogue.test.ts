// A rogue member with a valid certificate: it cannot take over another node's workspace, forge its entries,
// write control-plane kinds, or get it declared dead.
import { describe, expect, it } from 'bun:test';
import type { KeyObject } from 'node:crypto';
import { CONTROL_ORIGIN, newId, type RegistryEntry } from '../../contract/index.ts';
import { signClaim } from '../membership/claim-signature.ts';
import type { MeshNode } from '../node.ts';
import { PROTOCOL_VERSION } from '../protocol.ts';
import { cluster } from '../testing/index.ts';
import { signEntry } from './signature.ts';

const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));

describe('A rogue member with a valid certificate', () => {
  it('is ignored by honest members when it claims, forges or kills another node', async () => {
    const c = await cluster({ size: 5, seed: 41 });
    expect(
      await c.until(
        () =>
          c.live().every((n) => n.entries('member').length === 5) &&
          c.live().every((n) => n.members().every((m) => m.state === 'alive')),
        10_000,
      ),
    ).toBe(true);
    const [a, b, victim, d] = c.live() as [MeshNode, MeshNode, MeshNode, MeshNode];
    const rogue = c.identities[4] as { origin: string; privateKey: KeyObject };
    const raw = c.network.transport('mem-rogue-raw');
    const wsId = newId('workspace');
    victim.publish('workspace', { workspaceId: wsId, nodeId: victim.id, status: 'running', ports: [3000] });
    expect(await c.until(() => c.live().every((n) => n.route(wsId).found), 5000)).toBe(true);

    // Honest members record every state change of the victim from here on.
    const seen: string[] = [];
    for (const n of [a, b, d]) {
      n.subscribe((e) => {
        if (e.type === 'member' && e.member.id === victim.id) seen.push(`${n.id}:${e.member.state}`);
      });
    }
    const victimInc = a.member(victim.id)?.incarnation as number;
    const sign = (e: Omit<RegistryEntry, 'sig'>) => signEntry(e, rogue.privateKey);
    const forged = [
      // the victim's own entry, rewritten and signed with the rogue's key
      sign({
        origin: victim.id,
        key: `workspace/${wsId}`,
        kind: 'workspace',
        version: 9e12,
        value: { workspaceId: wsId, nodeId: victim.id, status: 'stopped', ports: [3000] },
        deleted: false,
      }),
      // a delete of the victim's entry, signed with the rogue's key
      sign({
        origin: victim.id,
        key: `workspace/${wsId}`,
        kind: 'workspace',
        version: 9e12 + 1,
        value: null,
        deleted: true,
      }),
      // its own claim on the victim's workspace (valid signature, valid shape)
      sign({
        origin: rogue.origin,
        key: `workspace/${wsId}`,
        kind: 'workspace',
        version: 9e12 + 2,
        value: { workspaceId: wsId, nodeId: rogue.origin, status: 'running', ports: [3000] },
        deleted: false,
      }),
      // the control plane's key set, signed by the rogue
      sign({
        origin: CONTROL_ORIGIN,
        key: 'keyset',
        kind: 'keyset',
        version: 9e12,
        value: { keys: [] },
        deleted: false,
      }),
    ];
    for (let i = 0; i < 40; i++) {
      for (const target of [a, b]) {
        raw.send(
          target.address,
          enc({
            v: PROTOCOL_VERSION,
            type: 'gossip',
            from: rogue.origin,
            g: [
              { id: victim.id, addr: victim.address, inc: victimInc + i, state: 'dead', by: rogue.origin },
              { id: victim.id, addr: victim.address, inc: victimInc + i, state: 'suspect', by: rogue.origin },
              { id: victim.id, addr: victim.address, inc: victimInc + i, state: 'left' },
            ],
            e: i === 0 ? forged : [],
          }),
        );
      }
      await c.run(50);
    }
    await c.run(5000);

    for (const n of [a, b, d]) {
      expect(n.member(victim.id)?.state).toBe('alive');
      const r = n.route(wsId);
      expect(r.found && r.nodeId).toBe(victim.id);
      expect(r.found && r.available).toBe(true);
      expect(n.entry(victim.id, `workspace/${wsId}`)?.sig).not.toBe(forged[0]?.sig);
    }
    expect(seen).toEqual([]);
    expect(a.metrics.droppedEntries['bad-signature']).toBe(3);
    expect(a.metrics.deaths + b.metrics.deaths + d.metrics.deaths).toBe(0);
    expect(a.metrics.suspicions + b.metrics.suspicions + d.metrics.suspicions).toBe(0);
  });

  it('cannot bring a dead member back by forging its alive claim', async () => {
    const c = await cluster({ size: 5, seed: 42 });
    expect(
      await c.until(
        () =>
          c.live().every((n) => n.entries('member').length === 5) &&
          c.live().every((n) => n.members().every((m) => m.state === 'alive')),
        10_000,
      ),
    ).toBe(true);
    const victim = c.identities[2] as (typeof c.identities)[number];
    const rogue = c.identities[4] as { origin: string; privateKey: KeyObject };
    await c.kill(2);
    const honest = c.live().slice(0, 3);
    expect(await c.until(() => honest.every((n) => n.member(victim.origin)?.state === 'dead'), 20_000)).toBe(
      true,
    );
    const inc = (honest[0]?.member(victim.origin)?.incarnation as number) + 5;
    const claim = { id: victim.origin, addr: victim.address, inc, state: 'alive' as const };
    const raw = c.network.transport('mem-rogue-raw');
    for (const n of honest) {
      raw.send(
        n.address,
        enc({
          v: PROTOCOL_VERSION,
          type: 'gossip',
          from: rogue.origin,
          g: [
            claim,
            { ...claim, inc: inc + 1, sig: signClaim({ ...claim, inc: inc + 1 }, rogue.privateKey) },
          ],
        }),
      );
    }
    await c.run(2000);
    expect(honest.every((n) => n.member(victim.origin)?.state === 'dead')).toBe(true);
    expect(honest.every((n) => n.metrics.droppedMessages['forged-claim'] >= 2)).toBe(true);
  });
});
