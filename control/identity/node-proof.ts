// Verifies a node's proof of possession for one request: signature by the certificate's key, method, path, body, age.
import { errors, importJWK, jwtVerify } from 'jose';
import * as v from 'valibot';
import {
  bodyDigest,
  type Ed25519PublicJwk,
  NodeProofClaims,
  TOKEN_ALG,
  TOKEN_TYP,
} from '../../contract/index.ts';

/** The request a proof must be for. */
export interface ProvenRequest {
  /** Upper case, as the server received it. */
  method: string;
  /** Path and query, see contract's proofTarget. */
  target: string;
  /** The exact body bytes received. */
  body: Uint8Array<ArrayBuffer>;
}

export interface NodeProofOptions {
  /** The certificate's `cnf.jwk`: the only key whose signature counts. */
  key: Ed25519PublicJwk;
  /** Milliseconds since the epoch. */
  now: number;
  /** How far `iat` may be from now, either way, in seconds. */
  windowSec: number;
}

export type VerifiedProof = { ok: true; claims: NodeProofClaims } | { ok: false; reason: string };

/** Checks `proof` against `request`; never throws. Each refusal has its own reason, for the 401 message. */
export async function verifyNodeProof(
  proof: string,
  request: ProvenRequest,
  options: NodeProofOptions,
): Promise<VerifiedProof> {
  let payload: unknown;
  try {
    const key = await importJWK(options.key, TOKEN_ALG);
    ({ payload } = await jwtVerify(proof, key, {
      algorithms: [TOKEN_ALG],
      typ: TOKEN_TYP.nodeProof,
      requiredClaims: ['iat', 'jti'],
      // Freshness is checked below against the window both ways; jose checks only exp/nbf if present.
      currentDate: new Date(options.now),
    }));
  } catch (e) {
    if (e instanceof errors.JWSSignatureVerificationFailed)
      return { ok: false, reason: "node proof is not signed by the certificate's key" };
    if (e instanceof errors.JOSEAlgNotAllowed)
      return { ok: false, reason: 'node proof algorithm not allowed' };
    return { ok: false, reason: 'node proof is not a valid warren-node-proof+jwt' };
  }
  const parsed = v.safeParse(NodeProofClaims, payload);
  if (!parsed.success) return { ok: false, reason: 'node proof claims are malformed' };
  const claims = parsed.output;
  if (claims.htm !== request.method) return { ok: false, reason: 'node proof is for another method' };
  if (claims.htu !== request.target) return { ok: false, reason: 'node proof is for another path' };
  if (claims.bd !== (await bodyDigest(request.body)))
    return { ok: false, reason: 'node proof is for another body' };
  if (Math.abs(options.now / 1000 - claims.iat) > options.windowSec)
    return { ok: false, reason: 'node proof is stale or from the future (iat outside the window)' };
  return { ok: true, claims };
}
