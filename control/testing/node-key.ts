// An Ed25519 key pair for a pretend node in control plane tests (the node agent makes its own).
import type { Ed25519PublicJwk } from '../../contract/index.ts';

export interface TestNodeKey {
  publicKey: Ed25519PublicJwk;
  privateKey: CryptoKey;
}

export async function createTestNodeKey(): Promise<TestNodeKey> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey;
  return { publicKey: { kty: 'OKP', crv: 'Ed25519', x: jwk.x ?? '' }, privateKey: pair.privateKey };
}
