// node/auth: key set, revocations, workspace-token and command-token verification.
export { CommandVerifier } from './command-verifier.ts';
export { KeySet, type KeySource } from './key-set.ts';
export { Revocations } from './revocations.ts';
export {
  type Access,
  TokenError,
  type TokenFailure,
  TokenVerifier,
  type VerifiedToken,
} from './token-verifier.ts';
