// Queries for node join tokens: one use, with an expiry.
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from './database.ts';
import { joinTokens } from './schema.ts';

export type JoinTokenRow = typeof joinTokens.$inferSelect;

export function createJoinTokenQueries(db: Db) {
  return {
    async insert(row: JoinTokenRow): Promise<void> {
      await db.insert(joinTokens).values(row);
    },
    /** Uses a join token once: the update only matches an unused, unexpired token. */
    async consume(tokenHash: string, nodeId: string, now: number): Promise<JoinTokenRow | undefined> {
      const rows = await db
        .update(joinTokens)
        .set({ usedAt: now, usedByNode: nodeId })
        .where(
          and(eq(joinTokens.tokenHash, tokenHash), isNull(joinTokens.usedAt), gt(joinTokens.expiresAt, now)),
        )
        .returning();
      return rows[0];
    },
  };
}
