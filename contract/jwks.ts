// The published key set (JWKS) and revocations: what nodes need to check tokens without the control plane.
import * as v from 'valibot';

export const PublicJwk = v.object({
  kty: v.literal('OKP'),
  crv: v.literal('Ed25519'),
  x: v.string(),
  kid: v.string(),
  alg: v.literal('EdDSA'),
  use: v.literal('sig'),
});
export type PublicJwk = v.InferOutput<typeof PublicJwk>;

export const Jwks = v.object({ keys: v.pipe(v.array(PublicJwk), v.maxLength(16)) });
export type Jwks = v.InferOutput<typeof Jwks>;

/** A subject whose tokens issued before `notBefore` (unix seconds) are void: `user:<id>` or `workspace:<id>`. */
export const Revocation = v.object({
  subject: v.pipe(
    v.string(),
    v.regex(/^(user|workspace|node):[0-9a-z]{22}$/, 'must be user:, workspace: or node: an id'),
  ),
  notBefore: v.number(),
  createdAt: v.optional(v.string()),
});
export type Revocation = v.InferOutput<typeof Revocation>;
