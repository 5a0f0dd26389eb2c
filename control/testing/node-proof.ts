// Node proofs in control plane tests: one signed for a request (any claim can be wrong, for attacks), or on every call.
import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { bodyDigest, NODE_PROOF_HEADER, proofTarget, TOKEN_ALG, TOKEN_TYP } from '../../contract/index.ts';
import type { ControlClient } from '../../openapi/client/index.ts';

/** A node's Ed25519 private key: WebCrypto (createTestNodeKey) or node:crypto (mesh tests). */
export type NodePrivateKey = CryptoKey | KeyObject;

/** A node as tests hold it: its certificate and its private key. `joinTestNode()`'s answer is one. */
export interface TestNodeCredential {
  certificate: string;
  key: { privateKey: NodePrivateKey };
}

/** What a proof says; `iat` (seconds) defaults to the wall clock, `jti` to a fresh random id. */
export interface ProofFor {
  method: string;
  /** Path and query, e.g. `/api/v1/nodes/nd…/heartbeat`. */
  path: string;
  /** The exact body bytes that will be sent; none means the empty body. */
  body?: string | Uint8Array<ArrayBuffer>;
  iat?: number;
  jti?: string;
}

/** Signs a proof of possession with `privateKey`, as a node does before each call. */
export async function signNodeProof(privateKey: NodePrivateKey, p: ProofFor): Promise<string> {
  return new SignJWT({ htm: p.method, htu: p.path, bd: await bodyDigest(p.body ?? '') })
    .setProtectedHeader({ alg: TOKEN_ALG, typ: TOKEN_TYP.nodeProof })
    .setIssuedAt(p.iat ?? Math.floor(Date.now() / 1000))
    .setJti(p.jti ?? crypto.randomUUID())
    .sign(privateKey);
}

/** Headers of a raw `fetch` as `node`: its certificate and a fresh proof for this method, path and body. */
export async function nodeHeaders(node: TestNodeCredential, p: ProofFor): Promise<Record<string, string>> {
  return {
    authorization: `Bearer ${node.certificate}`,
    [NODE_PROOF_HEADER]: await signNodeProof(node.key.privateKey, p),
  };
}

/** Makes `client` sign a proof for every request it sends, over the bytes it sends, dated by `nowMs`. */
export function proveEveryCall(
  client: ControlClient,
  privateKey: NodePrivateKey,
  nowMs: () => number,
): ControlClient {
  client.use({
    async onRequest({ request }) {
      const body = new Uint8Array(await request.clone().arrayBuffer());
      const proof = await signNodeProof(privateKey, {
        method: request.method,
        path: proofTarget(request.url),
        body,
        iat: Math.floor(nowMs() / 1000),
      });
      request.headers.set(NODE_PROOF_HEADER, proof);
      return request;
    },
  });
  return client;
}
