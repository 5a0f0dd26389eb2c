// The node's proof of possession on its calls to the control plane: one fresh JWS per request, signed with its key.
import { SignJWT } from 'jose';
import { bodyDigest, NODE_PROOF_HEADER, proofTarget, TOKEN_ALG, TOKEN_TYP } from '../contract/index.ts';

/** A request the node is about to send with its certificate; `body` is exactly what it sends. */
export interface ProvenCall {
  method: string;
  url: string;
  body?: string;
}

/** Signs a proof for one request, so the certificate alone, gossiped to every member, is no credential. */
export type NodeProver = (call: ProvenCall) => Promise<string>;

/** A prover over the node's private key (node/identity.ts); the key never leaves the process. */
export function createNodeProver(privateKey: CryptoKey): NodeProver {
  return async ({ method, url, body }) =>
    new SignJWT({ htm: method.toUpperCase(), htu: proofTarget(url), bd: await bodyDigest(body ?? '') })
      .setProtectedHeader({ alg: TOKEN_ALG, typ: TOKEN_TYP.nodeProof })
      .setIssuedAt()
      .setJti(crypto.randomUUID())
      .sign(privateKey);
}

/** Headers of a certificate call: the certificate as Bearer and a fresh proof for exactly this request. */
export async function certificateHeaders(
  certificate: string,
  prove: NodeProver,
  call: ProvenCall,
): Promise<Record<string, string>> {
  return { authorization: `Bearer ${certificate}`, [NODE_PROOF_HEADER]: await prove(call) };
}
