// control/auth: request authentication for users and nodes, and issuing user credentials.
export {
  type Authenticator,
  createAuthenticator,
  SESSION_COOKIE,
  type UserPrincipal,
} from './authenticator.ts';
export { type Credentials, createCredentials } from './credentials.ts';
export { defaultNodeProofConfig, type NodeProofConfig } from './node-proof.ts';
export { keepBodyBytes } from './raw-body.ts';
export { createSharedProofUses, type SharedProofUses } from './shared-proof-uses.ts';
