// Verifies the control plane's command tokens on `/_node/*` (typ warren-ctl+jwt, aud node:<id>).
import { decodeProtectedHeader, jwtVerify } from 'jose';
import * as v from 'valibot';
import { AUDIENCE, ControlCommandClaims, TOKEN_ALG, TOKEN_TYP } from '../../contract/index.ts';
import type { KeySet } from './key-set.ts';

/** Checks `Authorization: Bearer <command token>` for the node API. */
export class CommandVerifier {
  constructor(
    private readonly keys: KeySet,
    private readonly identity: () => { nodeId: string; issuer: string } | undefined,
    private readonly clockToleranceSec: number,
  ) {}

  /** Resolves true when `token` is a valid command token addressed to this node. */
  async verify(token: string): Promise<boolean> {
    const me = this.identity();
    if (!me || token.length > 8192) return false;
    try {
      const header = decodeProtectedHeader(token);
      if (
        header.alg !== TOKEN_ALG ||
        header.typ !== TOKEN_TYP.controlCommand ||
        typeof header.kid !== 'string'
      ) {
        return false;
      }
      let key = this.keys.get(header.kid);
      if (!key) {
        await this.keys.refresh();
        key = this.keys.get(header.kid);
        if (!key) return false;
      }
      const { payload } = await jwtVerify(token, key, {
        algorithms: [TOKEN_ALG],
        issuer: me.issuer,
        audience: AUDIENCE.node(me.nodeId),
        typ: TOKEN_TYP.controlCommand,
        clockTolerance: this.clockToleranceSec,
        requiredClaims: ['iat', 'exp', 'jti'],
      });
      return v.is(ControlCommandClaims, payload);
    } catch {
      return false;
    }
  }
}
