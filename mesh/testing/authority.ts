// A test control plane's signing side: a JWKS and node certificates minted with jose, per contract/tokens.ts.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import {
  AUDIENCE,
  type Ed25519PublicJwk,
  type Jwks,
  newId,
  TOKEN_ALG,
  TOKEN_TYP,
} from '../../contract/index.ts';

/** A node's identity as the node agent holds it. */
export interface TestNodeIdentity {
  origin: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate: string;
}

/** Control-plane keys and a certificate minter, for tests and the simulator. */
export interface TestAuthority {
  issuer: string;
  jwks: Jwks;
  /** The control plane's own signing key (it signs `control` entries with it too). */
  privateKey: KeyObject;
  /** Mints a node certificate for `nodeId` binding `publicKey`; `ttlSec` default one hour. */
  certify(nodeId: string, publicKey: KeyObject, opts?: { ttlSec?: number; nowMs?: number }): Promise<string>;
  /** A fresh node: id, key pair and certificate. */
  node(opts?: { ttlSec?: number; nowMs?: number; nodeId?: string }): Promise<TestNodeIdentity>;
}

/** Creates a test authority with one Ed25519 key. */
export async function createTestAuthority(issuer = 'http://control.test'): Promise<TestAuthority> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const kid = newId('key');
  const pub = await exportJWK(publicKey);
  const jwks: Jwks = {
    keys: [{ kty: 'OKP', crv: 'Ed25519', x: pub.x as string, kid, alg: 'EdDSA', use: 'sig' }],
  };
  const certify: TestAuthority['certify'] = async (nodeId, nodeKey, opts = {}) => {
    const jwk = await exportJWK(nodeKey);
    const cnf: { jwk: Ed25519PublicJwk } = { jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string } };
    const iat = Math.floor((opts.nowMs ?? Date.now()) / 1000);
    return new SignJWT({ cnf, addr: 'http://127.0.0.1:0', name: nodeId })
      .setProtectedHeader({ alg: TOKEN_ALG, typ: TOKEN_TYP.nodeCertificate, kid })
      .setIssuer(issuer)
      .setSubject(nodeId)
      .setAudience([AUDIENCE.mesh, AUDIENCE.control])
      .setIssuedAt(iat)
      .setExpirationTime(iat + (opts.ttlSec ?? 3600))
      .setJti(newId('key'))
      .sign(privateKey);
  };
  return {
    issuer,
    jwks,
    privateKey,
    certify,
    async node(opts = {}) {
      const keys = generateKeyPairSync('ed25519');
      const origin = opts.nodeId ?? newId('node');
      const certificate = await certify(origin, keys.publicKey, opts);
      return { origin, privateKey: keys.privateKey, publicKey: keys.publicKey, certificate };
    },
  };
}
