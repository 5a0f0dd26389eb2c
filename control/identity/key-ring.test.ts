// Key rotation: a new key is published before it signs, and an old key stays published until its tokens expired.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { AUDIENCE } from '../../contract/index.ts';
import { createStore, type Database, openDatabase } from '../db/index.ts';
import { FakeClock } from '../testing/index.ts';
import { createIssuer } from './issuer.ts';
import { createKeyRing, type KeyRingConfig } from './key-ring.ts';
import { loadMasterKey } from './master-key.ts';
import { verifyToken } from './verifier.ts';

const HOUR = 3_600_000;
const config: KeyRingConfig = {
  publishLeadMs: 2 * 60_000,
  rotationIntervalMs: 30 * 24 * HOUR,
  maxTokenLifetimeMs: 12 * HOUR,
};

let dir: string;
let database: Database;
let clock: FakeClock;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warren-keys-'));
  database = await openDatabase(`file:${join(dir, 'db')}`);
  clock = new FakeClock(Date.UTC(2030, 0, 1));
});
afterEach(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ring() {
  const store = createStore(database.db);
  const r = await createKeyRing(store, await loadMasterKey(dir), clock, config);
  const issuer = createIssuer(r, clock, {
    issuer: 'test',
    nodeCertificateTtlS: 12 * 3600,
    workspaceCallbackTtlS: 600,
  });
  return { store, ring: r, issuer };
}

const kids = (r: { jwks(): { keys: { kid: string }[] } }) => r.jwks().keys.map((k) => k.kid);

describe('KeyRing', () => {
  it('publishes a new key before it signs with it', async () => {
    const { ring: r } = await ring();
    const first = (await r.signingKey()).kid;
    const rotation = await r.rotate();
    expect(kids(r)).toEqual([first, rotation.kid]);
    expect((await r.signingKey()).kid).toBe(first);
    clock.advance(config.publishLeadMs - 1);
    expect((await r.signingKey()).kid).toBe(first);
    clock.advance(1);
    expect((await r.signingKey()).kid).toBe(rotation.kid);
  });

  it('keeps the old key published until every token it signed has expired, then drops it', async () => {
    const { ring: r, issuer } = await ring();
    const first = (await r.signingKey()).kid;
    await r.rotate();
    clock.advance(config.publishLeadMs - 1000);
    // The last moment the old key signs: a node certificate, the longest-lived token.
    const cert = await issuer.nodeCertificate({
      nodeId: 'nd00000000000000000000',
      publicKey: { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43) },
      address: 'http://127.0.0.1:1',
      name: 'n',
      laptop: false,
    });
    expect(decodeProtectedHeader(cert.token).kid).toBe(first);
    clock.advance(12 * HOUR - 1000);
    await r.tick();
    expect(kids(r)).toContain(first);
    const still = await verifyToken('nodeCertificate', cert.token, {
      jwks: r.jwks(),
      issuer: 'test',
      audience: AUDIENCE.mesh,
      now: clock.now() - 6000, // within the token's own life
    });
    expect(still.ok).toBe(true);
    clock.advance(2000);
    await r.tick();
    expect(kids(r)).not.toContain(first);
    expect(r.jwks().keys.length).toBe(1);
  });

  it('rotates on schedule once the signing key is older than the interval', async () => {
    const { ring: r } = await ring();
    expect(await r.tick()).toBeUndefined();
    clock.advance(config.rotationIntervalMs);
    const rotation = await r.tick();
    expect(rotation?.kid).toBeString();
    expect(kids(r)).toContain(rotation!.kid);
  });

  it('stores private keys sealed: no key material in clear, and another master key cannot open them', async () => {
    const { ring: r, store } = await ring();
    const kid = (await r.signingKey()).kid;
    const [row] = await store.signingKeys.list();
    expect(row?.sealedPrivateKey).not.toContain('"d"');
    expect(JSON.parse(row!.publicJwk)).not.toHaveProperty('d');
    expect(kid).toStartWith('ky');
    await expect(
      createKeyRing(store, await loadMasterKey(join(dir, 'other')), clock, config),
    ).rejects.toThrow(/cannot be opened with this master key/);
  });

  it('survives a restart: the same keys come back from the database', async () => {
    const { ring: a } = await ring();
    const kid = (await a.signingKey()).kid;
    const { ring: b } = await ring();
    expect((await b.signingKey()).kid).toBe(kid);
  });

  it('makes one first key when two replicas start together on an empty database', async () => {
    const [a, b] = await Promise.all([ring(), ring()]);
    expect(await a.store.signingKeys.list()).toHaveLength(1);
    expect((await a.ring.signingKey()).kid).toBe((await b.ring.signingKey()).kid);
  });

  it('rotates once when two replicas find the key due at the same moment', async () => {
    const a = await ring();
    const b = await ring();
    clock.advance(config.rotationIntervalMs);
    const [ra, rb] = await Promise.all([a.ring.tick(), b.ring.tick()]);
    // Exactly one of them wrote a key: the other's conditional write found the key it meant to retire retired.
    expect([ra, rb].filter(Boolean)).toHaveLength(1);
    const rows = await a.store.signingKeys.list();
    expect(rows).toHaveLength(2);
    expect(rows.filter((r) => r.retiredAt === null)).toHaveLength(1);
  });

  it('answers a manual rotation racing another replica with the key that won, not a second one', async () => {
    const a = await ring();
    const b = await ring();
    const [ra, rb] = await Promise.all([a.ring.rotate(), b.ring.rotate()]);
    const rows = await a.store.signingKeys.list();
    expect(rows).toHaveLength(2);
    expect(ra.kid).toBe(rb.kid);
  });

  it('writes no rotation when its guard fails (a holder that lost its lease)', async () => {
    const a = await ring();
    clock.advance(config.rotationIntervalMs);
    expect(await a.ring.tick({ sql: '1 = 0', args: [] })).toBeUndefined();
    expect(await a.store.signingKeys.list()).toHaveLength(1);
    expect(await a.ring.tick({ sql: '1 = ?', args: [1] })).toBeDefined();
    expect(await a.store.signingKeys.list()).toHaveLength(2);
  });

  it('publishes a key another replica rotated once it refreshes', async () => {
    const a = await ring();
    const b = await ring();
    const rotation = await a.ring.rotate();
    expect(kids(b.ring)).not.toContain(rotation.kid);
    await b.ring.refresh();
    expect(kids(b.ring)).toContain(rotation.kid);
    clock.advance(config.publishLeadMs);
    // B signs with it once it activates, and A's verifier-side JWKS had it since the rotation.
    expect((await b.ring.signingKey()).kid).toBe(rotation.kid);
  });
});
