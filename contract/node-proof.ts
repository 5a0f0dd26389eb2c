// The proof of possession a node sends beside its certificate on every call: header, claims, body digest.
import * as v from 'valibot';

/**
 * The request header that carries the proof: a compact JWS (`typ` TOKEN_TYP.nodeProof, EdDSA) signed with the
 * node's private key, whose public half is the certificate's `cnf.jwk`. A copied certificate alone is no
 * credential; the proof binds one request (method, path, body) at one moment.
 */
export const NODE_PROOF_HEADER = 'warren-node-proof';

export const NodeProofClaims = v.object({
  /** The HTTP method, upper case. */
  htm: v.pipe(v.string(), v.maxLength(16)),
  /** The request's path and query (`/api/v1/nodes/nd…/heartbeat`), without scheme and host. */
  htu: v.pipe(v.string(), v.startsWith('/'), v.maxLength(4096)),
  /** base64url SHA-256 of the exact body bytes; of the empty string when there is no body. */
  bd: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256 digest')),
  /** Seconds since the epoch when the node signed it. */
  iat: v.pipe(v.number(), v.integer()),
  /** Random, unique per proof: the control plane refuses a `jti` it has seen within the window. */
  jti: v.pipe(v.string(), v.minLength(16), v.maxLength(64)),
});
export type NodeProofClaims = v.InferOutput<typeof NodeProofClaims>;

/** The `htu` of a request URL: its path and query, as the server sees them. */
export function proofTarget(url: string | URL): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

/** The `bd` of a body: base64url (unpadded) SHA-256 of its bytes; a string counts as its UTF-8 bytes. */
export async function bodyDigest(body: Uint8Array<ArrayBuffer> | string): Promise<string> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  // btoa rather than Buffer: contract/ runs in browsers too.
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
