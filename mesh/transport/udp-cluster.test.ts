// Five mesh members on real UDP/TCP sockets on 127.0.0.1 converge (membership and registry).
import { describe, expect, it } from 'bun:test';
import { newId } from '../../contract/index.ts';
import { localMeshConfig } from '../config.ts';
import { createMeshNode, type MeshNode } from '../node.ts';
import { CertificateTrust } from '../registry/trust.ts';
import { createTestAuthority, eventually } from '../testing/index.ts';
import { createUdpTransport } from './udp.ts';

describe('UDP transport cluster', () => {
  it('converges five members on loopback and spreads a registry entry to all', async () => {
    const ca = await createTestAuthority();
    const nodes: MeshNode[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const id = await ca.node();
        const transport = await createUdpTransport({ hostname: '127.0.0.1', port: 0 });
        const node = createMeshNode({
          transport,
          identity: id,
          trust: new CertificateTrust({ controlJwks: ca.jwks, issuer: ca.issuer }),
          config: localMeshConfig(),
        });
        node.publish('member', {
          nodeId: id.origin,
          name: `n${i}`,
          meshAddress: transport.address,
          proxyUrl: `http://${transport.address}`,
          certificate: id.certificate,
        });
        nodes.push(node);
      }
      const [first] = nodes as [MeshNode];
      for (const n of nodes.slice(1)) expect(await n.join([first.address])).toBe(1);
      const converged = () =>
        nodes.every((n) => n.members().filter((m) => m.state === 'alive').length === 5) &&
        nodes.every((n) => n.entries('member').length === 5);
      expect(await eventually(converged, 'five members converged', 15_000)).toBe(true);

      const wsId = newId('workspace');
      nodes[3]?.publish('workspace', {
        workspaceId: wsId,
        nodeId: nodes[3].id,
        status: 'running',
        ports: [8080],
      });
      expect(
        await eventually(() => nodes.every((n) => n.route(wsId).found), 'the route on every member', 10_000),
      ).toBe(true);
      const r = nodes[0]?.route(wsId);
      expect(r?.found && r.host.addr).toBe(nodes[3]?.address as string);
      expect(nodes.every((n) => n.metrics.droppedEntries['bad-signature'] === 0)).toBe(true);
    } finally {
      for (const n of nodes) await n.close();
    }
  });
});
