// control/identity: master key, sealed signing keys, rotation, JWKS, minting and verification.
export { createIssuer, type Issuer, type IssuerConfig, type Minted } from './issuer.ts';
export {
  createKeyRing,
  defaultKeyRingConfig,
  type KeyRing,
  type KeyRingConfig,
  type Rotation,
} from './key-ring.ts';
export { deriveSubkey, loadMasterKey, MASTER_KEY_FILE, seal, unseal } from './master-key.ts';
export {
  type NodeProofOptions,
  type ProvenRequest,
  type VerifiedProof,
  verifyNodeProof,
} from './node-proof.ts';
export { hashSecret, looksLike, newSecret, type SecretKind, sameDigest } from './secrets.ts';
export { type ClaimsOf, type TokenKind, type Verified, type VerifyOptions, verifyToken } from './verifier.ts';
