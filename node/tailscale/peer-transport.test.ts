// Tests of the tailnet peer check on the mesh: real node mesh members on loopback UDP/TCP, a fake tailscaled for whois.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import {
  AUDIENCE,
  newId,
  TOKEN_ALG,
  TOKEN_TYP,
  type WorkspaceEntryValue,
  type WorkspaceReport,
} from '../../contract/index.ts';
import { localMeshConfig } from '../../mesh/index.ts';
import { createTestAuthority, type TestAuthority } from '../../mesh/testing/index.ts';
import { KeySet, Revocations } from '../auth/index.ts';
import { type NodeMesh, renderMeshMetrics, startNodeMesh } from '../mesh-member.ts';
import { createLocalApiClient, type LocalApiClient, TAILNET_REJECTIONS } from './index.ts';
import { type FakeLocalApi, type FakeTailnetDevice, startFakeLocalApi } from './testing/index.ts';

// Loopback addresses stand in for tailnet IPs: the fake tailscaled maps each to a device.
const IP_A = '127.0.0.2';
const IP_B = '127.0.0.3';
const IP_C = '127.0.0.4'; // a tailnet device that is neither A nor B
const IP_OFF = '127.0.0.5'; // on no tailnet device at all
// Bun.connect cannot bind a source address, so on loopback every TCP request (push-pull) comes from
// 127.0.0.1 (on a tailnet the kernel picks the node's own tailnet IP for a 100.x destination). Each test
// therefore names the one device whose TCP requests it exercises; 127.0.0.1 is an extra IP of that device.
const TCP_SOURCE = '127.0.0.1';
const device = (name: string, ips: string[], n: number): FakeTailnetDevice => ({
  stableId: `n${name}CNTRL`,
  nodeId: n,
  hostName: name,
  ips,
  tags: ['tag:warren-node'],
});
/** The fake tailnet: devices A, B and C; `tcpFrom` also owns 127.0.0.1. */
function tailnet(tcpFrom: 'b' | 'c' | 'none'): void {
  const ips = (ip: string, who: 'b' | 'c') => (tcpFrom === who ? [ip, TCP_SOURCE] : [ip]);
  fake.options.self = device('nd-a', [IP_A], 1);
  fake.options.peers = [device('nd-b', ips(IP_B, 'b'), 2), device('nd-c', ips(IP_C, 'c'), 3)];
}

interface Identity {
  nodeId: string;
  key: KeyObject;
  certificate: string;
}

let authority: TestAuthority;
let fake: FakeLocalApi;
let client: LocalApiClient;
const started: NodeMesh[] = [];

beforeAll(async () => {
  authority = await createTestAuthority();
  fake = startFakeLocalApi({ self: device('nd-a', [IP_A], 1) });
  client = createLocalApiClient({ socketPath: fake.socketPath });
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.close()));
});
afterAll(async () => {
  await fake.stop();
});

/** A node identity whose control-signed certificate advertises `ip` (as the control plane signs what the node reported). */
async function identity(ip: string): Promise<Identity> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const nodeId = newId('node');
  const jwk = await exportJWK(publicKey);
  const iat = Math.floor(Date.now() / 1000);
  const certificate = await new SignJWT({
    cnf: { jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string } },
    addr: `http://${ip}:7420`,
    name: nodeId,
  })
    .setProtectedHeader({ alg: TOKEN_ALG, typ: TOKEN_TYP.nodeCertificate, kid: authority.jwks.keys[0]!.kid })
    .setIssuer(authority.issuer)
    .setSubject(nodeId)
    .setAudience([AUDIENCE.mesh, AUDIENCE.control])
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .setJti(newId('key'))
    .sign(authority.privateKey);
  return { nodeId, key: privateKey, certificate };
}

/** A node mesh member bound to `ip`; `tailnet` switches on the whois check. */
async function member(ip: string, id: Identity, checks: boolean, quiet = false): Promise<NodeMesh> {
  const m = await startNodeMesh({
    listen: { host: ip, port: 0 },
    // `quiet`: no periodic push-pull, so this member makes no TCP request of its own (see TCP_SOURCE).
    timings: { ...localMeshConfig(), ...(quiet ? { pushPullIntervalMs: 3_600_000 } : {}) },
    nodeId: id.nodeId,
    name: id.nodeId,
    issuer: authority.issuer,
    key: id.key,
    certificate: id.certificate,
    jwks: authority.jwks,
    proxyUrl: `http://${ip}:7420`,
    keys: new KeySet(async () => authority.jwks, 60_000),
    revocations: new Revocations(),
    controlRevocations: [],
    log: () => {},
    ...(checks ? { tailnet: client } : {}),
  });
  started.push(m);
  return m;
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

const origins = (m: NodeMesh, kind: 'member' | 'workspace') =>
  new Set(m.mesh.entries(kind).map((e) => e.origin));
const report = (id: string): WorkspaceReport => ({ id, status: 'running', port: 8080 });
const workspaces = (m: NodeMesh) =>
  new Set(m.mesh.entries('workspace').map((e) => (e.value as WorkspaceEntryValue | null)?.workspaceId));
const whoisCount = () => fake.seen.filter((r) => r.path.startsWith('/localapi/v0/whois')).length;
const zeroRejections = (): Record<string, number> =>
  Object.fromEntries(TAILNET_REJECTIONS.map((r) => [r, 0]));

describe('tailnet peer check on the mesh (--network tailscale)', () => {
  it('accepts a peer whose whois matches its certificate: its entries and membership are applied, nothing dropped', async () => {
    tailnet('b');
    const idA = await identity(IP_A);
    const idB = await identity(IP_B);
    const a = await member(IP_A, idA, true);
    const b = await member(IP_B, idB, false);
    const ws = newId('workspace');
    b.syncWorkspaces([report(ws)]);
    const whoisBefore = whoisCount();
    await b.joinSeeds([a.address]);
    await until('a to apply b', () => workspaces(a).has(ws) && origins(a, 'member').has(idB.nodeId));
    await until('a to see b alive', () =>
      a.mesh.members().some((x) => x.id === idB.nodeId && x.state === 'alive'),
    );
    await until('b to hold a', () => origins(b, 'member').has(idA.nodeId));
    // A packet B sends between A's sync answer and B's sync-push (its member entry) cannot be checked yet and
    // is dropped as unknown_sender — SWIM tolerates the loss; no whois check failed.
    expect({ ...a.tailnetRejections, unknown_sender: 0 } as Record<string, number>).toEqual(zeroRejections());
    expect(whoisCount()).toBeGreaterThan(whoisBefore);
    expect(renderMeshMetrics(a.mesh, a.tailnetRejections)).toContain(
      'warren_mesh_tailnet_rejections_total{reason="address_mismatch"} 0',
    );
  });

  it("rejects and counts node B's stolen key and certificate used from device C; its signed entries are not applied", async () => {
    tailnet('c');
    const idA = await identity(IP_A);
    const idB = await identity(IP_B);
    const a = await member(IP_A, idA, true);
    const b = await member(IP_B, idB, false, true);
    // A pulls from B: the answer comes from B's own device, so A learns B's member entry.
    await a.joinSeeds([b.address]);
    await until('a to know b', () => origins(a, 'member').has(idB.nodeId));
    expect({ ...a.tailnetRejections, unknown_sender: 0 } as Record<string, number>).toEqual(zeroRejections());
    // The thief runs B's identity on device C (it checks nothing: it is the attacker) and claims a workspace
    // with entries properly signed by B's key — only its source address gives it away.
    const thief = await member(IP_C, idB, false);
    const stolen = newId('workspace');
    thief.syncWorkspaces([report(stolen)]);
    expect(await thief.mesh.join([a.address])).toBe(0);
    await until('a to count the thief', () => (a.tailnetRejections?.address_mismatch ?? 0) > 0);
    expect(workspaces(a).has(stolen)).toBe(false);
    expect(origins(thief, 'member').has(idA.nodeId)).toBe(false);
    expect(renderMeshMetrics(a.mesh, a.tailnetRejections)).toMatch(
      /warren_mesh_tailnet_rejections_total\{reason="address_mismatch"\} [1-9]/,
    );
  });

  it('rejects a newcomer whose certificate names another device: its first sync passes emptied, its entries do not', async () => {
    tailnet('c');
    const idA = await identity(IP_A);
    const a = await member(IP_A, idA, true);
    const idWrong = await identity(IP_B);
    const wrong = await member(IP_C, idWrong, false);
    const ws = newId('workspace');
    wrong.syncWorkspaces([report(ws)]);
    await wrong.mesh.join([a.address]);
    await until('a to count the mismatch', () => (a.tailnetRejections?.address_mismatch ?? 0) > 0);
    expect(workspaces(a).has(ws)).toBe(false);
    expect(origins(a, 'member')).toEqual(new Set([idA.nodeId]));
    expect(a.mesh.members().map((x) => x.id)).toEqual([idA.nodeId]);
  });

  it('rejects a peer on no tailnet device (whois answers 404): nothing of it is applied, nothing answered', async () => {
    tailnet('none');
    const idA = await identity(IP_A);
    const a = await member(IP_A, idA, true);
    const idOff = await identity(IP_OFF);
    const off = await member(IP_OFF, idOff, false);
    const ws = newId('workspace');
    off.syncWorkspaces([report(ws)]);
    expect(await off.mesh.join([a.address])).toBe(0);
    await until('a to count the unknown peer', () => (a.tailnetRejections?.tailnet_peer_unknown ?? 0) > 0);
    expect(workspaces(a).has(ws)).toBe(false);
    expect(origins(a, 'member')).toEqual(new Set([idA.nodeId]));
    expect(origins(off, 'member').has(idA.nodeId)).toBe(false);
  });

  it('drops messages while tailscaled answers whois with an error, counted as whois_failed', async () => {
    tailnet('b');
    const idA = await identity(IP_A);
    const idB = await identity(IP_B);
    const a = await member(IP_A, idA, true);
    const b = await member(IP_B, idB, false);
    // B is known (A pulled from it) before tailscaled breaks, so the check runs whois rather than the stranger path.
    await a.joinSeeds([b.address]);
    await until('a to know b', () => origins(a, 'member').has(idB.nodeId));
    fake.overrides.set('/localapi/v0/whois', { status: 500, body: '{"error":"boom"}' });
    try {
      // A new identity on B's device: nothing cached for it.
      const idB2 = await identity(IP_B);
      const b2 = await member(IP_B, idB2, false);
      const ws = newId('workspace');
      b2.syncWorkspaces([report(ws)]);
      await b2.mesh.join([a.address]);
      await until('a to count the failures', () => (a.tailnetRejections?.whois_failed ?? 0) > 0);
      expect(workspaces(a).has(ws)).toBe(false);
    } finally {
      fake.overrides.delete('/localapi/v0/whois');
    }
  });

  it('leaves the direct network untouched: no whois, no rejection counter, the stolen identity is not caught', async () => {
    tailnet('c');
    const idA = await identity(IP_A);
    const idB = await identity(IP_B);
    const whoisBefore = whoisCount();
    const a = await member(IP_A, idA, false);
    const thief = await member(IP_C, idB, false);
    const ws = newId('workspace');
    thief.syncWorkspaces([report(ws)]);
    await thief.joinSeeds([a.address]);
    await until('a to apply the entries', () => workspaces(a).has(ws));
    expect(a.tailnetRejections).toBeUndefined();
    expect(renderMeshMetrics(a.mesh)).not.toContain('tailnet');
    expect(whoisCount()).toBe(whoisBefore);
  });
});
