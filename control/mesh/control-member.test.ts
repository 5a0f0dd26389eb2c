// The control plane as a mesh member: it publishes its key set and every revocation, and keeps doing so — signed
// with the new key — after the signing key rotates.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import { type Jwks, newId } from '../../contract/index.ts';
import {
  CertificateTrust,
  createMeshNode,
  createUdpTransport,
  localMeshConfig,
  type MeshNode,
} from '../../mesh/index.ts';
import { defaultKeyRingConfig } from '../identity/index.ts';
import { eventually, startTestControl, type TestControl } from '../testing/index.ts';

let control: TestControl;
let observer: MeshNode;

beforeAll(async () => {
  control = await startTestControl({
    config: {
      meshListen: { host: '127.0.0.1', port: 0 },
      meshTimings: localMeshConfig(),
      keyRing: { ...defaultKeyRingConfig(), publishLeadMs: 300 },
    },
  });
  const jwks = (await (await fetch(`${control.url}/.well-known/jwks.json`)).json()) as Jwks;
  observer = createMeshNode({
    transport: await createUdpTransport({ hostname: '127.0.0.1' }),
    identity: { origin: 'observer', privateKey: generateKeyPairSync('ed25519').privateKey },
    trust: new CertificateTrust({ controlJwks: jwks }),
    config: localMeshConfig(),
  });
  expect(await observer.join([control.deps.mesh!.address])).toBe(1);
});
afterAll(async () => {
  await observer.close();
  await control.stop();
});

const revoked = () => observer.entries('revocation').map((e) => (e.value as { subject: string }).subject);

describe('The control plane as a mesh member', () => {
  it('publishes its key set', async () => {
    const jwks = control.deps.ring.jwks();
    await eventually(
      () => JSON.stringify(observer.entries('keyset')[0]?.value) === JSON.stringify(jwks),
      'the key set at the observer',
      10_000,
    );
    expect(observer.entries('keyset')[0]?.origin).toBe('control');
  });

  it('publishes a revocation as soon as it is made', async () => {
    // Another user than the admin (revoking the admin would end the test's own API token).
    const user = newId('user');
    const r = await control.client.POST('/api/v1/revocations', { body: { subject: `user:${user}` } });
    expect(r.response.status).toBe(200);
    await eventually(() => revoked().includes(`user:${user}`), 'the revocation at the observer', 10_000);
  });

  it('signs with the new key after a rotation, and the rotated key set reaches members', async () => {
    const before = control.deps.mesh!.mesh.id;
    const rot = await control.client.POST('/api/v1/keys/rotate');
    expect(rot.response.status).toBe(200);
    const kid = rot.data!.kid;
    // The new key is published at once (and gossiped) before it signs.
    await eventually(
      () => (observer.entries('keyset')[0]?.value as Jwks | undefined)?.keys.some((k) => k.kid === kid),
      'the new key in the gossiped key set',
      10_000,
    );
    await eventually(
      async () => (await control.deps.ring.signingKey()).kid === kid,
      'the new key active',
      5_000,
    );
    // After the handover (three push-pull rounds of gossip) the member restarts and signs with the new key.
    const old = control.deps.mesh!.mesh;
    const activeAt = Date.now();
    await eventually(() => control.deps.mesh!.mesh !== old, 'the member to switch keys', 10_000);
    expect(Date.now() - activeAt).toBeGreaterThan(1_000);
    expect(control.deps.mesh!.mesh.id).toBe(before);
    // A revocation made now is signed with the new key; the observer verifies it with the gossiped key set.
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'rot' } });
    expect(project.response.status).toBe(200);
    const subject = `user:${newId('user')}`;
    await control.deps.store.revocations.upsert(subject, Math.floor(Date.now() / 1000) + 1, Date.now());
    await control.deps.mesh!.sync();
    await eventually(() => revoked().includes(subject), 'a revocation signed with the new key', 10_000);
    expect(observer.metrics.droppedEntries['bad-signature']).toBe(0);
    // The observer still sees the control plane as one live member (the restarted member refuted its old life).
    await eventually(() => observer.member('control')?.state === 'alive', 'control alive', 10_000);
  }, 20_000);
});
