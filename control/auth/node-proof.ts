// Demanding a node's proof of possession beside its certificate: bound to this request, fresh, and used once.
import { NODE_PROOF_HEADER, type NodeCertificateClaims, proofTarget } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import { ControlError, unauthorized } from '../errors.ts';
import { verifyNodeProof } from '../identity/index.ts';
import { createReplayCache } from './proof-replay.ts';
import { bodyBytes } from './raw-body.ts';

export interface NodeProofConfig {
  /**
   * 60 s: how far a proof's `iat` may be from the control plane's clock, either way. Nodes sign right before
   * each call, so this is clock skew plus transit; it is also how long a captured proof could be replayed if
   * the replay cache were lost (a restart), which is why it is short (RFC 9449 §11.1 suggests seconds to minutes).
   */
  windowSec: number;
  /**
   * 100,000 ids: each lives at most 2·window (≈ 100 B each, ≈ 10 MB when full). At a heartbeat every 10 s plus
   * git-token and report calls, that holds the proofs of thousands of nodes; when full, proofs wait (503).
   */
  replayCapacity: number;
}

export function defaultNodeProofConfig(): NodeProofConfig {
  return { windowSec: 60, replayCapacity: 100_000 };
}

/** Checks the proof on a node-certificate request; throws 401 (or 503 when the replay cache is full). */
export type NodeProofCheck = (request: Request, certificate: NodeCertificateClaims) => Promise<void>;

/**
 * Where proofs used by any replica are recorded: true when `jti` was new there (and is now taken until
 * `expiresAt`), false when some replica saw it already.
 */
export type SharedProofClaim = (jti: string, expiresAt: number) => Promise<boolean>;

export function createNodeProofCheck(
  clock: Clock,
  config = defaultNodeProofConfig(),
  shared?: SharedProofClaim,
): NodeProofCheck {
  const used = createReplayCache(config.replayCapacity);
  return async (request, certificate) => {
    const proof = request.headers.get(NODE_PROOF_HEADER);
    if (!proof) throw unauthorized(`node certificate requires a proof (${NODE_PROOF_HEADER} header)`);
    const now = clock.now();
    const r = await verifyNodeProof(
      proof,
      {
        method: request.method.toUpperCase(),
        target: proofTarget(request.url),
        body: await bodyBytes(request),
      },
      { key: certificate.cnf.jwk, now, windowSec: config.windowSec },
    );
    if (!r.ok) throw unauthorized(r.reason);
    // Past iat + window the proof is stale anyway; one second more covers iat's rounding down.
    const expiresAt = (r.claims.iat + config.windowSec + 1) * 1000;
    const verdict = used.claim(r.claims.jti, expiresAt, now);
    if (verdict === 'replayed') throw unauthorized('node proof was already used (replay)');
    if (verdict === 'full')
      throw new ControlError('unavailable', 'too many recent node proofs; try again shortly');
    // Replicas behind one load balancer: a proof sent to one must not pass at another, nor after a restart.
    if (shared && !(await shared(r.claims.jti, expiresAt)))
      throw unauthorized('node proof was already used (replay)');
  };
}
