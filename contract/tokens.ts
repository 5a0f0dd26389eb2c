// Claims of every signed token kind (docs/architecture.md "Identities"), their `typ` headers and audiences.
import * as v from 'valibot';
import { NodeId, UserId, WorkspaceId } from './ids.ts';
import { WorkspaceScope } from './status.ts';

/** The only signature algorithm Warren accepts (RFC 8725: pin the algorithm). */
export const TOKEN_ALG = 'EdDSA' as const;

/** Explicit `typ` header per token kind, so one kind can never pass for another (RFC 8725 §3.11). */
export const TOKEN_TYP = {
  workspaceAccess: 'warren-ws+jwt',
  nodeCertificate: 'warren-node+jwt',
  workspaceCallback: 'warren-cb+jwt',
  controlCommand: 'warren-ctl+jwt',
  /** Not a bearer token: a node's proof of possession for one request (contract/node-proof.ts). */
  nodeProof: 'warren-node-proof+jwt',
} as const;

export const AUDIENCE = {
  control: 'warren:control',
  mesh: 'warren:mesh',
  workspace: (workspaceId: string) => `workspace:${workspaceId}`,
  node: (nodeId: string) => `node:${nodeId}`,
} as const;

/** Prefixes of opaque secrets, so a leaked one is recognisable by secret scanners. */
export const SECRET_PREFIX = {
  apiToken: 'wrn_api_',
  session: 'wrn_ses_',
  joinToken: 'wrn_join_',
  loginLink: 'wrn_login_',
} as const;

const registered = {
  iss: v.string(),
  iat: v.number(),
  exp: v.number(),
  nbf: v.optional(v.number()),
  jti: v.string(),
};

/** Lifetime bounds of a workspace access token, in seconds. */
export const WORKSPACE_TOKEN_TTL = { min: 30, default: 600, max: 3600 } as const;

/**
 * WebSocket close code a node sends when the workspace token a socket (terminal, agent, app) was opened with
 * expires or is revoked while the socket is open; the reason says which (`token expired`, `token revoked`). It
 * mirrors HTTP 401: get a new token and reconnect. 4000–4999 is the application range (RFC 6455 §7.4.2).
 */
export const SOCKET_CLOSE_TOKEN_ENDED = 4401;

export const WorkspaceAccessClaims = v.object({
  ...registered,
  sub: UserId,
  aud: v.pipe(v.string(), v.startsWith('workspace:')),
  /** Space-separated workspace scopes (RFC 8693 style). */
  scope: v.string(),
  /** App ports this token may reach; absent means the workspace's app port only. */
  ports: v.optional(v.array(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)))),
});
export type WorkspaceAccessClaims = v.InferOutput<typeof WorkspaceAccessClaims>;

/** RFC 7800 confirmation key: the node's Ed25519 public key as a JWK. */
export const Ed25519PublicJwk = v.object({
  kty: v.literal('OKP'),
  crv: v.literal('Ed25519'),
  x: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url Ed25519 public key')),
});
export type Ed25519PublicJwk = v.InferOutput<typeof Ed25519PublicJwk>;

export const NodeCertificateClaims = v.object({
  ...registered,
  sub: NodeId,
  aud: v.array(v.string()),
  cnf: v.object({ jwk: Ed25519PublicJwk }),
  /** The node's advertised address (mesh and proxy), e.g. `http://100.64.0.7:7420`. */
  addr: v.string(),
  name: v.string(),
  laptop: v.optional(v.boolean()),
});
export type NodeCertificateClaims = v.InferOutput<typeof NodeCertificateClaims>;

export const WorkspaceCallbackClaims = v.object({
  ...registered,
  sub: WorkspaceId,
  aud: v.literal(AUDIENCE.control),
  nid: NodeId,
});
export type WorkspaceCallbackClaims = v.InferOutput<typeof WorkspaceCallbackClaims>;

/** Splits a space-separated scope claim into known workspace scopes, ignoring unknown ones. */
export function parseWorkspaceScopes(scope: string): WorkspaceScope[] {
  const out: WorkspaceScope[] = [];
  for (const s of scope.split(' ')) {
    if (v.is(WorkspaceScope, s) && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Lifetime of a control command token (control plane → node push), in seconds. */
export const CONTROL_COMMAND_TTL = 60;

/** Signed by the control plane when it calls a node's `/_node/*` operations; `aud` is `node:<id>`. */
export const ControlCommandClaims = v.object({
  ...registered,
  sub: v.literal('control'),
  aud: v.pipe(v.string(), v.startsWith('node:')),
});
export type ControlCommandClaims = v.InferOutput<typeof ControlCommandClaims>;
