// Node proofs used by any replica, in the database: a proof captured on its way to one replica passes at no other.
import type { Client } from '@libsql/client';
import type { SharedProofClaim } from './node-proof.ts';

export interface SharedProofUses {
  claim: SharedProofClaim;
  /** Deletes the uses whose proofs are stale at `now` (they would be refused for their age anyway). */
  prune(now: number): Promise<number>;
}

export function createSharedProofUses(client: Client): SharedProofUses {
  return {
    async claim(jti, expiresAt) {
      // One statement: of two replicas recording the same jti at once, exactly one inserts it.
      const r = await client.execute({
        sql: 'INSERT INTO node_proof_uses (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING',
        args: [jti, expiresAt],
      });
      return r.rowsAffected === 1;
    },
    async prune(now) {
      const r = await client.execute({
        sql: 'DELETE FROM node_proof_uses WHERE expires_at <= ?',
        args: [now],
      });
      return r.rowsAffected;
    },
  };
}
