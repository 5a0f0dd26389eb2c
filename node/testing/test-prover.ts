// A node prover over a fresh key, for node tests that call a stand-in control plane with a certificate.
import { createNodeProver, type NodeProver } from '../control-proof.ts';

export interface TestProver {
  prove: NodeProver;
  /** The public half, to check the proofs it signed. */
  publicKey: CryptoKey;
}

export async function createTestProver(): Promise<TestProver> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  return { prove: createNodeProver(pair.privateKey), publicKey: pair.publicKey };
}
