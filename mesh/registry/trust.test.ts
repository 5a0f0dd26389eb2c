// CertificateTrust: node keys only through a control-signed node certificate, control keys from the JWKS.
import { describe, expect, it } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { AUDIENCE, CONTROL_ORIGIN, TOKEN_TYP } from '../../contract/index.ts';
import { createTestAuthority } from '../testing/authority.ts';
import { CertificateTrust } from './trust.ts';

describe('CertificateTrust', () => {
  it("accepts a node's key through a certificate the control plane signed for that node", async () => {
    const ca = await createTestAuthority();
    const node = await ca.node();
    const trust = new CertificateTrust({ controlJwks: ca.jwks, issuer: ca.issuer });
    const r = await trust.keyFor(node.origin, node.certificate);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.keys[0]?.equals(node.publicKey)).toBe(true);
  });

  it('refuses a certificate for another node, from another authority, expired, of another typ, or none', async () => {
    const ca = await createTestAuthority();
    const rogueCa = await createTestAuthority();
    const node = await ca.node();
    const other = await ca.node();
    const trust = new CertificateTrust({ controlJwks: ca.jwks, issuer: ca.issuer });
    expect((await trust.keyFor(other.origin, node.certificate)).ok).toBe(false);
    const forged = await rogueCa.node({ nodeId: node.origin });
    expect((await trust.keyFor(node.origin, forged.certificate)).ok).toBe(false);
    const expired = await ca.node({ nowMs: Date.now() - 7200_000, ttlSec: 600 });
    expect((await trust.keyFor(expired.origin, expired.certificate)).ok).toBe(false);
    const wrongTyp = await new SignJWT({
      cnf: { jwk: { kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43) } },
      addr: 'x',
      name: 'x',
    })
      .setProtectedHeader({
        alg: 'EdDSA',
        typ: TOKEN_TYP.workspaceAccess,
        kid: ca.jwks.keys[0]?.kid as string,
      })
      .setIssuer(ca.issuer)
      .setSubject(node.origin)
      .setAudience([AUDIENCE.mesh])
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti('j')
      .sign(ca.privateKey);
    expect((await trust.keyFor(node.origin, wrongTyp)).ok).toBe(false);
    expect((await trust.keyFor(node.origin, undefined)).ok).toBe(false);
  });

  it('trusts the control origin through the JWKS, and follows a rotation', async () => {
    const ca = await createTestAuthority();
    const trust = new CertificateTrust({ controlJwks: ca.jwks });
    const r = await trust.keyFor(CONTROL_ORIGIN, undefined);
    expect(r.ok && r.keys.length).toBe(1);
    const next = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    trust.updateControlKeys({
      keys: [{ kty: 'OKP', crv: 'Ed25519', x: next.x as string, kid: 'k2', alg: 'EdDSA', use: 'sig' }],
    });
    const after = await trust.keyFor(CONTROL_ORIGIN, undefined);
    expect(after.ok && after.keys[0]?.export({ format: 'jwk' }).x).toBe(next.x);
  });
});
