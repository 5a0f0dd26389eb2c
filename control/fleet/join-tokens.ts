// Join tokens: the one-use secrets a node machine joins the control plane with, minted here for every path that
// makes one (an admin's `POST /join-tokens`, and each node the fleet provisions).
import { newId } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../db/index.ts';
import { hashSecret, newSecret } from '../identity/index.ts';

export interface JoinTokenInput {
  /** The user it is minted for; null when the control plane mints it for a machine it provisions. */
  createdBy: string | null;
  /** A laptop's node may be away for long (awaiting its agent), not a server's. */
  laptop: boolean;
  /** Labels the node joins with (placement reads them). */
  labels: Record<string, string>;
  /** How long the token may wait for its join. */
  ttlMs: number;
  /** The node id the join must take (a provisioned machine's); null lets the join pick one. */
  nodeId: string | null;
}

export interface MintedJoinToken {
  id: string;
  /** The secret itself: shown once, only its hash is stored. */
  token: string;
  expiresAt: number;
}

/** Mints a join token and stores its hash; the secret goes only to whoever asked. */
export async function mintJoinToken(
  deps: { store: Store; clock: Clock },
  input: JoinTokenInput,
): Promise<MintedJoinToken> {
  const token = newSecret('joinToken');
  const now = deps.clock.now();
  const id = newId('joinToken');
  const expiresAt = now + input.ttlMs;
  await deps.store.joinTokens.insert({
    id,
    tokenHash: hashSecret(token),
    createdBy: input.createdBy,
    laptop: input.laptop,
    labels: JSON.stringify(input.labels),
    createdAt: now,
    expiresAt,
    usedAt: null,
    usedByNode: null,
    nodeId: input.nodeId,
  });
  return { id, token, expiresAt };
}
