// Tests of the mesh peer check: a peer's tailnet identity (whois) must match the node its certificate names.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { newId } from '../../contract/index.ts';
import {
  checkMeshPeer,
  createLocalApiClient,
  createPeerCheckCache,
  hostOf,
  type LocalApiClient,
  type MeshPeerCertificate,
  type TailnetIdentity,
  tailnetAdvertisement,
  verifyMeshPeer,
} from './index.ts';
import { type FakeLocalApi, startFakeLocalApi } from './testing/index.ts';

const NODE_B = newId('node');
const identityB: TailnetIdentity = {
  stableId: 'nBBBBBCNTRL',
  dnsName: 'nd-b.tail4a2b.ts.net',
  ips: ['100.64.0.12', 'fd7a:115c:a1e0::c'],
  tags: ['tag:warren-node'],
  loginName: 'tagged-devices',
  expired: false,
};
const certB: MeshPeerCertificate = {
  sub: NODE_B,
  addr: 'http://100.64.0.12:7420',
  tailnetNodeId: 'nBBBBBCNTRL',
};

describe('verifyMeshPeer', () => {
  it('accepts a peer whose tailnet identity matches its certificate', () => {
    expect(verifyMeshPeer({ whois: identityB, certificate: certB })).toEqual({
      ok: true,
      identity: identityB,
    });
  });

  it("rejects a certificate of another node's address (a stolen certificate used from another device)", () => {
    const r = verifyMeshPeer({
      whois: identityB,
      certificate: { ...certB, addr: 'http://100.64.0.13:7420' },
    });
    expect(r).toMatchObject({ ok: false, reason: 'address_mismatch' });
  });

  it('rejects a certificate naming another tailnet node ID even at the same address', () => {
    const r = verifyMeshPeer({ whois: identityB, certificate: { ...certB, tailnetNodeId: 'nOTHERCNTRL' } });
    expect(r).toMatchObject({ ok: false, reason: 'node_mismatch' });
  });

  it('rejects an expired tailnet node', () => {
    const r = verifyMeshPeer({ whois: { ...identityB, expired: true }, certificate: certB });
    expect(r).toMatchObject({ ok: false, reason: 'tailnet_key_expired' });
  });

  it('requires the node tag of server nodes, not of laptops', () => {
    const personal = { ...identityB, tags: [], loginName: 'alice@example.com' };
    expect(verifyMeshPeer({ whois: personal, certificate: certB })).toMatchObject({
      ok: false,
      reason: 'untagged_node',
    });
    expect(verifyMeshPeer({ whois: personal, certificate: { ...certB, laptop: true } }).ok).toBe(true);
  });

  it('matches IPv6 advertised addresses', () => {
    expect(
      verifyMeshPeer({ whois: identityB, certificate: { ...certB, addr: 'http://[fd7a:115c:a1e0::c]:7420' } })
        .ok,
    ).toBe(true);
  });

  it('reads the host of every advertised address form', () => {
    expect(hostOf('http://100.64.0.7:7420')).toBe('100.64.0.7');
    expect(hostOf('100.64.0.7:7420')).toBe('100.64.0.7');
    expect(hostOf('[fd7a::1]:7420')).toBe('fd7a::1');
    expect(hostOf('fd7a::1')).toBe('fd7a::1');
    expect(hostOf('100.64.0.7')).toBe('100.64.0.7');
  });
});

describe('checkMeshPeer over the LocalAPI', () => {
  let fake: FakeLocalApi;
  let client: LocalApiClient;
  beforeAll(() => {
    fake = startFakeLocalApi({
      self: {
        stableId: 'nAAAAACNTRL',
        nodeId: 1,
        hostName: 'nd-a',
        ips: ['100.64.0.11'],
        tags: ['tag:warren-node'],
      },
      peers: [
        {
          stableId: 'nBBBBBCNTRL',
          nodeId: 2,
          hostName: 'nd-b',
          ips: ['100.64.0.12'],
          tags: ['tag:warren-node'],
        },
        {
          stableId: 'nCCCCCCNTRL',
          nodeId: 3,
          hostName: 'nd-c',
          ips: ['100.64.0.13'],
          tags: ['tag:warren-node'],
        },
      ],
    });
    client = createLocalApiClient({ socketPath: fake.socketPath });
  });
  afterAll(() => fake.stop());

  it("accepts node B's certificate from node B's tailnet address", async () => {
    const r = await checkMeshPeer(client, '100.64.0.12:40001', certB);
    expect(r.ok).toBe(true);
  });

  it("rejects node B's certificate presented from node C", async () => {
    const r = await checkMeshPeer(client, '100.64.0.13:40001', certB);
    expect(r).toMatchObject({ ok: false, reason: 'address_mismatch' });
  });

  it("accepts a certificate built from the node's own advertisement", async () => {
    const own = createLocalApiClient({ socketPath: fake.socketPath });
    const adv = await tailnetAdvertisement(own, 7420);
    expect(adv).toEqual({
      address: 'http://100.64.0.11:7420',
      ip: '100.64.0.11',
      dnsName: 'nd-a.tail4a2b.ts.net',
      stableId: 'nAAAAACNTRL',
    });
    const cert = { sub: newId('node'), addr: adv.address, tailnetNodeId: adv.stableId };
    expect((await checkMeshPeer(client, '100.64.0.11:5000', cert)).ok).toBe(true);
  });

  it('rejects a connection from an address of no tailnet node', async () => {
    const r = await checkMeshPeer(client, '100.64.0.77:40001', certB);
    expect(r).toMatchObject({ ok: false, reason: 'tailnet_peer_unknown' });
  });
});

describe('PeerCheckCache', () => {
  it('asks tailscaled once per peer within the TTL, again after it, and never caches a rejection', async () => {
    const fake = startFakeLocalApi({
      self: { stableId: 'nAAAAACNTRL', nodeId: 1, hostName: 'nd-a', ips: ['100.64.0.11'] },
      peers: [
        {
          stableId: 'nBBBBBCNTRL',
          nodeId: 2,
          hostName: 'nd-b',
          ips: ['100.64.0.12'],
          tags: ['tag:warren-node'],
        },
      ],
    });
    try {
      let now = 0;
      const cache = createPeerCheckCache(
        createLocalApiClient({ socketPath: fake.socketPath }),
        { ttlMs: 60_000, maxEntries: 10 },
        { now: () => now },
      );
      const whoisCalls = () => fake.seen.filter((s) => s.path.startsWith('/localapi/v0/whois')).length;
      expect((await cache.check('100.64.0.12:40001', certB)).ok).toBe(true);
      expect((await cache.check('100.64.0.12:40002', certB)).ok).toBe(true); // another port, same peer
      expect(whoisCalls()).toBe(1);
      now = 60_000;
      expect((await cache.check('100.64.0.12:40001', certB)).ok).toBe(true);
      expect(whoisCalls()).toBe(2);

      const stolen = { ...certB, addr: 'http://100.64.0.99:7420' };
      expect((await cache.check('100.64.0.12:40001', stolen)).ok).toBe(false);
      expect((await cache.check('100.64.0.12:40001', stolen)).ok).toBe(false);
      expect(whoisCalls()).toBe(4);
    } finally {
      await fake.stop();
    }
  });
});
