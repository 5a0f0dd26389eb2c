// Token rules (RFC 8725): algorithm pinned, typ/iss/aud/exp checked, and each kind valid only where it is meant.
import { beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, SignJWT } from 'jose';
import { AUDIENCE, TOKEN_TYP } from '../../contract/index.ts';
import { createStore, openDatabase } from '../db/index.ts';
import { FakeClock } from '../testing/index.ts';
import { createIssuer, type Issuer } from './issuer.ts';
import { createKeyRing, defaultKeyRingConfig, type KeyRing } from './key-ring.ts';
import { loadMasterKey } from './master-key.ts';
import { verifyToken } from './verifier.ts';

const WS = 'ws0000000000000000000a';
const NODE = 'nd0000000000000000000a';
const USER = 'us0000000000000000000a';
const NODE_KEY = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: 'B'.repeat(43) };

let clock: FakeClock;
let ring: KeyRing;
let issuer: Issuer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-verify-'));
  const database = await openDatabase(`file:${join(dir, 'db')}`);
  clock = new FakeClock(Date.UTC(2030, 0, 1));
  ring = await createKeyRing(
    createStore(database.db),
    await loadMasterKey(dir),
    clock,
    defaultKeyRingConfig(),
  );
  issuer = createIssuer(ring, clock, {
    issuer: 'https://control.test',
    nodeCertificateTtlS: 3600,
    workspaceCallbackTtlS: 600,
  });
});

const opts = (audience: string) => ({
  jwks: ring.jwks(),
  issuer: 'https://control.test',
  audience,
  now: clock.now(),
});
const access = () =>
  issuer.workspaceAccess({ userId: USER, workspaceId: WS, scopes: ['http'], ttlSeconds: 60 });
const cert = () =>
  issuer.nodeCertificate({
    nodeId: NODE,
    publicKey: NODE_KEY,
    address: 'http://127.0.0.1:1',
    name: 'n',
    laptop: false,
  });

/** Signs arbitrary claims and header with the ring's real key, to forge near-miss tokens. */
async function forge(header: Record<string, unknown>, claims: Record<string, unknown>) {
  const key = await ring.signingKey();
  const now = Math.floor(clock.now() / 1000);
  return new SignJWT({ iss: 'https://control.test', iat: now, exp: now + 60, jti: 'j', ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, ...header })
    .sign(key.privateKey);
}

describe('verifyToken', () => {
  it('accepts each kind where it is meant', async () => {
    expect(
      (await verifyToken('workspaceAccess', (await access()).token, opts(AUDIENCE.workspace(WS)))).ok,
    ).toBe(true);
    expect((await verifyToken('nodeCertificate', (await cert()).token, opts(AUDIENCE.control))).ok).toBe(
      true,
    );
    expect((await verifyToken('nodeCertificate', (await cert()).token, opts(AUDIENCE.mesh))).ok).toBe(true);
    const ctl = await issuer.controlCommand({ nodeId: NODE });
    expect((await verifyToken('controlCommand', ctl.token, opts(AUDIENCE.node(NODE)))).ok).toBe(true);
    const cb = await issuer.workspaceCallback({ workspaceId: WS, nodeId: NODE });
    expect((await verifyToken('workspaceCallback', cb.token, opts(AUDIENCE.control))).ok).toBe(true);
  });

  it('refuses one kind presented as another (typ)', async () => {
    const c = (await cert()).token;
    const a = (await access()).token;
    const ctl = (await issuer.controlCommand({ nodeId: NODE })).token;
    expect(await verifyToken('workspaceAccess', c, opts(AUDIENCE.workspace(WS)))).toMatchObject({
      ok: false,
    });
    expect(await verifyToken('nodeCertificate', a, opts(AUDIENCE.control))).toMatchObject({ ok: false });
    expect(await verifyToken('nodeCertificate', ctl, opts(AUDIENCE.node(NODE)))).toMatchObject({ ok: false });
    // Even with the right audience, a token without the kind's typ header fails.
    const noTyp = await forge({}, { sub: USER, aud: AUDIENCE.workspace(WS), scope: 'http' });
    expect(await verifyToken('workspaceAccess', noTyp, opts(AUDIENCE.workspace(WS)))).toMatchObject({
      ok: false,
    });
  });

  it('refuses a token for another workspace or audience', async () => {
    const a = (await access()).token;
    expect(
      await verifyToken('workspaceAccess', a, opts(AUDIENCE.workspace('ws0000000000000000000b'))),
    ).toMatchObject({
      ok: false,
    });
    const ctl = (await issuer.controlCommand({ nodeId: NODE })).token;
    expect(
      await verifyToken('controlCommand', ctl, opts(AUDIENCE.node('nd0000000000000000000b'))),
    ).toMatchObject({
      ok: false,
    });
  });

  it('refuses another issuer', async () => {
    const a = (await access()).token;
    const r = await verifyToken('workspaceAccess', a, {
      ...opts(AUDIENCE.workspace(WS)),
      issuer: 'https://evil.test',
    });
    expect(r).toMatchObject({ ok: false });
  });

  it('refuses an expired token', async () => {
    const a = (await access()).token;
    const later = { ...opts(AUDIENCE.workspace(WS)), now: clock.now() + 66_000 };
    expect(await verifyToken('workspaceAccess', a, later)).toEqual({ ok: false, reason: 'token expired' });
  });

  it('pins the algorithm: alg none and HS256 keyed with the public key are refused', async () => {
    const key = await ring.signingKey();
    const enc = (o: object) => base64url.encode(JSON.stringify(o));
    const now = Math.floor(clock.now() / 1000);
    const claims = {
      iss: 'https://control.test',
      sub: USER,
      aud: AUDIENCE.workspace(WS),
      scope: 'http',
      iat: now,
      exp: now + 60,
      jti: 'x',
    };
    const none = `${enc({ alg: 'none', typ: TOKEN_TYP.workspaceAccess, kid: key.kid })}.${enc(claims)}.`;
    expect(await verifyToken('workspaceAccess', none, opts(AUDIENCE.workspace(WS)))).toMatchObject({
      ok: false,
    });
    const x = ring.jwks().keys[0]!.x;
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: TOKEN_TYP.workspaceAccess, kid: key.kid })
      .sign(new TextEncoder().encode(x));
    expect(await verifyToken('workspaceAccess', hs, opts(AUDIENCE.workspace(WS)))).toMatchObject({
      ok: false,
    });
  });

  it('refuses a token signed by a key outside the JWKS', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const kid = ring.jwks().keys[0]!.kid;
    const now = Math.floor(clock.now() / 1000);
    const t = await new SignJWT({ sub: USER, scope: 'http' })
      .setProtectedHeader({ alg: 'EdDSA', typ: TOKEN_TYP.workspaceAccess, kid })
      .setIssuer('https://control.test')
      .setAudience(AUDIENCE.workspace(WS))
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti('j')
      .sign(pair.privateKey);
    expect(await verifyToken('workspaceAccess', t, opts(AUDIENCE.workspace(WS)))).toMatchObject({
      ok: false,
    });
  });

  it('refuses a node certificate without its confirmation key, or with a non-node subject', async () => {
    const aud = [AUDIENCE.mesh, AUDIENCE.control];
    const noCnf = await forge({ typ: TOKEN_TYP.nodeCertificate }, { sub: NODE, aud, addr: 'x', name: 'n' });
    expect(await verifyToken('nodeCertificate', noCnf, opts(AUDIENCE.control))).toMatchObject({ ok: false });
    const userSub = await forge(
      { typ: TOKEN_TYP.nodeCertificate },
      { sub: USER, aud, addr: 'x', name: 'n', cnf: { jwk: NODE_KEY } },
    );
    expect(await verifyToken('nodeCertificate', userSub, opts(AUDIENCE.control))).toMatchObject({
      ok: false,
    });
  });
});
