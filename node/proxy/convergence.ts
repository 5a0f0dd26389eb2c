// Whether a workspace this node's registry does not hold is only not known here yet (503) or does not exist (404).

/** What the node knows about its own registry, for requests that name a workspace it does not hold. */
export interface Convergence {
  /** Whether the registry has caught up with the mesh since this node started (see NodeMesh.inSync). */
  inSync(): boolean;
  /**
   * How long after a token's issue (`iat`) the workspace it names may still be missing from a registry that is
   * in sync: the control plane issues a token as soon as a workspace is placed or running, and its entry reaches
   * the other nodes by gossip, or at worst by the next push-pull round.
   */
  windowMs: number;
}

/** How to answer a valid token for a workspace the registry does not hold. */
export type UnknownWorkspace = { answer: 'learning'; retryAfterSec: number } | { answer: 'absent' };

/**
 * Gossip spreads an entry through the mesh in well under a second, and a node that is still joining completes a
 * push-pull within its sync timeout: a second lets a client come back soon without hammering the node.
 */
const LEARNING_RETRY_SEC = 1;

/**
 * `absent` (404) only once the registry is in sync and the token is older than the window; before, the node may
 * simply not have heard of the workspace yet, so it says so (503 with Retry-After). `iatSec` is the token's
 * verified issue time, so only a caller holding a valid token for this very workspace can tell the two apart.
 */
export function unknownWorkspace(
  convergence: Convergence | undefined,
  iatSec: number,
  nowMs: number,
): UnknownWorkspace {
  if (convergence === undefined) return { answer: 'absent' };
  if (!convergence.inSync() || nowMs < iatSec * 1000 + convergence.windowMs) {
    return { answer: 'learning', retryAfterSec: LEARNING_RETRY_SEC };
  }
  return { answer: 'absent' };
}
