// Mints every signed token kind of contract/tokens.ts with the ring's current key.
import { sign as signBytes } from 'node:crypto';
import {
  AUDIENCE,
  CONTROL_COMMAND_TTL,
  type Ed25519PublicJwk,
  TOKEN_ALG,
  TOKEN_TYP,
  type WorkspaceScope,
} from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { KeyRing } from './key-ring.ts';

export interface IssuerConfig {
  /** The `iss` of every token, e.g. `http://127.0.0.1:7400`. */
  issuer: string;
  /** Node certificate life: 12 h, renewed by heartbeat at half life, survives a control plane outage of hours. */
  nodeCertificateTtlS: number;
  /** Workspace callback token life: 10 min, renewed by the node. */
  workspaceCallbackTtlS: number;
}

export interface Minted {
  token: string;
  /** Unix seconds. */
  expiresAt: number;
}

export interface Issuer {
  readonly issuer: string;
  workspaceAccess(input: {
    userId: string;
    workspaceId: string;
    scopes: WorkspaceScope[];
    ttlSeconds: number;
    ports?: number[];
  }): Promise<Minted>;
  nodeCertificate(input: {
    nodeId: string;
    publicKey: Ed25519PublicJwk;
    address: string;
    name: string;
    laptop: boolean;
  }): Promise<Minted>;
  workspaceCallback(input: { workspaceId: string; nodeId: string }): Promise<Minted>;
  controlCommand(input: { nodeId: string }): Promise<Minted>;
}

const base64url = (json: string) => Buffer.from(json).toString('base64url');

export function createIssuer(ring: KeyRing, clock: Clock, config: IssuerConfig): Issuer {
  const sign = async (typ: string, claims: Record<string, unknown>, aud: string | string[], ttl: number) => {
    const key = await ring.signingKey();
    const iat = Math.floor(clock.now() / 1000);
    const exp = iat + ttl;
    // A compact JWS by hand: jose signs through WebCrypto, several times slower per token than node:crypto.
    const header = base64url(JSON.stringify({ alg: TOKEN_ALG, kid: key.kid, typ }));
    const payload = base64url(
      JSON.stringify({ ...claims, iss: config.issuer, aud, iat, exp, jti: crypto.randomUUID() }),
    );
    const input = `${header}.${payload}`;
    const signature = signBytes(null, Buffer.from(input), key.keyObject).toString('base64url');
    return { token: `${input}.${signature}`, expiresAt: exp };
  };
  return {
    issuer: config.issuer,
    workspaceAccess: ({ userId, workspaceId, scopes, ttlSeconds, ports }) =>
      sign(
        TOKEN_TYP.workspaceAccess,
        { sub: userId, scope: scopes.join(' '), ...(ports ? { ports } : {}) },
        AUDIENCE.workspace(workspaceId),
        ttlSeconds,
      ),
    nodeCertificate: ({ nodeId, publicKey, address, name, laptop }) =>
      sign(
        TOKEN_TYP.nodeCertificate,
        { sub: nodeId, cnf: { jwk: publicKey }, addr: address, name, laptop },
        [AUDIENCE.mesh, AUDIENCE.control],
        config.nodeCertificateTtlS,
      ),
    workspaceCallback: ({ workspaceId, nodeId }) =>
      sign(
        TOKEN_TYP.workspaceCallback,
        { sub: workspaceId, nid: nodeId },
        AUDIENCE.control,
        config.workspaceCallbackTtlS,
      ),
    controlCommand: ({ nodeId }) =>
      sign(TOKEN_TYP.controlCommand, { sub: 'control' }, AUDIENCE.node(nodeId), CONTROL_COMMAND_TTL),
  };
}
