// Verifies Warren's signed tokens per RFC 8725: EdDSA only, and typ, iss, aud, exp and claims per kind.
import { createLocalJWKSet, errors, jwtVerify } from 'jose';
import * as v from 'valibot';
import {
  ControlCommandClaims,
  type Jwks,
  NodeCertificateClaims,
  TOKEN_ALG,
  TOKEN_TYP,
  WorkspaceAccessClaims,
  WorkspaceCallbackClaims,
} from '../../contract/index.ts';

const CLAIMS = {
  workspaceAccess: WorkspaceAccessClaims,
  nodeCertificate: NodeCertificateClaims,
  workspaceCallback: WorkspaceCallbackClaims,
  controlCommand: ControlCommandClaims,
} as const;

export type TokenKind = keyof typeof CLAIMS;
export type ClaimsOf<K extends TokenKind> = v.InferOutput<(typeof CLAIMS)[K]>;

export type Verified<K extends TokenKind> =
  | { ok: true; claims: ClaimsOf<K>; kid: string }
  | { ok: false; reason: string };

export interface VerifyOptions {
  jwks: Jwks;
  issuer: string;
  /** The audience this checker stands for; the token's `aud` must name it. */
  audience: string;
  /** Milliseconds since the epoch; defaults to the wall clock. */
  now?: number;
}

/**
 * Verifies `token` as a token of `kind`: only EdDSA, the kind's `typ` header, `iss`, `aud`, `exp`
 * (no clock tolerance beyond 5 s), a `kid` from `jwks`, and the kind's claim schema. Never throws.
 */
export async function verifyToken<K extends TokenKind>(
  kind: K,
  token: string,
  options: VerifyOptions,
): Promise<Verified<K>> {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(options.jwks), {
      algorithms: [TOKEN_ALG],
      typ: TOKEN_TYP[kind],
      issuer: options.issuer,
      audience: options.audience,
      requiredClaims: ['exp', 'iat', 'jti'],
      clockTolerance: 5,
      ...(options.now !== undefined ? { currentDate: new Date(options.now) } : {}),
    });
    const parsed = v.safeParse(CLAIMS[kind], payload);
    if (!parsed.success) return { ok: false, reason: 'claims do not match the token kind' };
    return { ok: true, claims: parsed.output as ClaimsOf<K>, kid: protectedHeader.kid ?? '' };
  } catch (e) {
    if (e instanceof errors.JWTExpired) return { ok: false, reason: 'token expired' };
    if (e instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: `bad claim ${e.claim}` };
    if (e instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'algorithm not allowed' };
    return { ok: false, reason: 'invalid token' };
  }
}
