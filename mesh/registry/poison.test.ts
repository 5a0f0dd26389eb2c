// Poison: bad messages and entries are counted and dropped, never applied, never re-gossiped, never crash.
import { describe, expect, it } from 'bun:test';
import { MAX_ENTRY_BYTES, newId, type RegistryEntry } from '../../contract/index.ts';
import { totalDrops } from '../metrics.ts';
import type { MeshNode } from '../node.ts';
import { PROTOCOL_VERSION } from '../protocol.ts';
import { cluster, createTestAuthority } from '../testing/index.ts';
import { signEntry } from './signature.ts';

const enc = (x: unknown) => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));

describe('Untrusted origins', () => {
  it('drops entries of an origin vouched for by no certificate, or by one the control plane did not sign', async () => {
    const c = await cluster({ size: 2, seed: 32 });
    expect(await c.until(() => c.live().every((n) => n.entries('member').length === 2), 10_000)).toBe(true);
    const [, b] = c.live() as [MeshNode, MeshNode];
    const rogueCa = await createTestAuthority();
    const stranger = await rogueCa.node();
    const attacker = c.network.transport('mem-attacker');
    const sign = (e: Omit<RegistryEntry, 'sig'>) => signEntry(e, stranger.privateKey);
    const wsId = newId('workspace');
    const entries = [
      sign({
        origin: stranger.origin,
        key: 'member',
        kind: 'member',
        version: 1,
        value: {
          nodeId: stranger.origin,
          name: 's',
          meshAddress: 'x',
          proxyUrl: 'x',
          certificate: stranger.certificate,
        },
        deleted: false,
      }),
      sign({
        origin: stranger.origin,
        key: `workspace/${wsId}`,
        kind: 'workspace',
        version: 2,
        value: { workspaceId: wsId, nodeId: stranger.origin, status: 'running', ports: [1] },
        deleted: false,
      }),
    ];
    attacker.send(b.address, enc({ v: PROTOCOL_VERSION, type: 'gossip', from: 'attacker', e: entries }));
    await c.run(1000);
    expect(b.metrics.droppedEntries['untrusted-origin']).toBe(2);
    expect(b.route(wsId).found).toBe(false);
    expect(b.entry(stranger.origin, 'member')).toBeUndefined();
  });
});

describe('Poison', () => {
  it('drops and counts malformed messages, unknown versions and bad entries, and relays none of them', async () => {
    const c = await cluster({ size: 3, seed: 31 });
    expect(await c.until(() => c.live().every((n) => n.entries('member').length === 3), 10_000)).toBe(true);
    const [a, b, victim] = c.live() as [MeshNode, MeshNode, MeshNode];
    const signer = c.identities[2] as { origin: string; privateKey: import('node:crypto').KeyObject };
    const attacker = c.network.transport('mem-attacker');
    const wsId = newId('workspace');
    const base = { origin: signer.origin, kind: 'workspace' as const, deleted: false };
    const good = { workspaceId: wsId, nodeId: signer.origin, status: 'running', ports: [3000] };
    const sign = (e: Omit<RegistryEntry, 'sig'>) => signEntry(e, signer.privateKey);
    const poison: unknown[] = [
      // oversized, but validly signed by a trusted origin
      sign({
        ...base,
        key: `workspace/${wsId}`,
        version: 9e12,
        value: { ...good, pad: 'x'.repeat(MAX_ENTRY_BYTES) },
      }),
      // wrong types
      sign({ ...base, key: `workspace/${wsId}`, version: 9e12 + 1, value: { ...good, status: 42 } }),
      // not an entry at all
      { hello: 'world' },
      // a workspace claimed for another node
      sign({ ...base, key: `workspace/${wsId}`, version: 9e12 + 2, value: { ...good, nodeId: a.id } }),
      // a kind only the control plane may write
      sign({
        ...base,
        kind: 'revocation',
        key: 'revocation/x',
        version: 9e12 + 3,
        value: { subject: 'x', notBefore: 1 },
      }),
      // key that does not match the value
      sign({ ...base, key: 'workspace/other', version: 9e12 + 4, value: good }),
      // tampered after signing
      { ...sign({ ...base, key: `workspace/${wsId}`, version: 9e12 + 5, value: good }), version: 9e12 + 6 },
    ];
    attacker.send(
      b.address,
      enc({ v: PROTOCOL_VERSION, type: 'gossip', from: 'attacker', g: [], e: poison }),
    );
    attacker.send(b.address, enc({ v: 99, type: 'gossip', from: 'attacker', e: [] }));
    attacker.send(b.address, enc('{not json'));
    attacker.send(b.address, enc({ v: PROTOCOL_VERSION, type: 'teleport', from: 'attacker' }));
    attacker.send(b.address, enc({ v: PROTOCOL_VERSION, type: 'gossip', from: 'attacker', g: [{ id: 5 }] }));
    attacker.send(b.address, new Uint8Array([0xff, 0xfe, 0x00]));
    await c.run(3000);

    const d = b.metrics.droppedEntries;
    expect(d.oversized).toBe(1);
    expect(d['invalid-value']).toBe(1);
    expect(d.malformed).toBe(1);
    expect(d['wrong-origin']).toBe(1);
    expect(d['forbidden-kind']).toBe(1);
    expect(d['wrong-key']).toBe(1);
    expect(d['bad-signature']).toBe(1);
    expect(b.metrics.droppedMessages['unknown-version']).toBe(1);
    expect(b.metrics.droppedMessages.malformed).toBeGreaterThanOrEqual(3);
    expect(b.entry(signer.origin, `workspace/${wsId}`)).toBeUndefined();
    // Not re-gossiped: the others never even saw them.
    expect(totalDrops(a.metrics.droppedEntries)).toBe(0);
    expect(totalDrops(victim.metrics.droppedEntries)).toBe(0);
    // And b is still a healthy member.
    expect(c.live().every((n) => n.members().every((m) => m.state === 'alive'))).toBe(true);
  });
});
