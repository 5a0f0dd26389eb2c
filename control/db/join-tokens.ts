// Queries for node join tokens: one use, with an expiry.
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from './database.ts';
import { joinTokens } from './schema.ts';

export type JoinTokenRow = typeof joinTokens.$inferSelect;

export function createJoinTokenQueries(db: Db) {
  return {
    async insert(row: typeof joinTokens.$inferInsert): Promise<void> {
      await db.insert(joinTokens).values(row);
    },
    /**
     * Uses a join token once: the update only matches an unused, unexpired token. A token bound to a node id
     * records that id as its user; `nodeId` is used only for an unbound token.
     */
    async consume(tokenHash: string, nodeId: string, now: number): Promise<JoinTokenRow | undefined> {
      const rows = await db
        .update(joinTokens)
        .set({ usedAt: now, usedByNode: sql`coalesce(${joinTokens.nodeId}, ${nodeId})` })
        .where(
          and(eq(joinTokens.tokenHash, tokenHash), isNull(joinTokens.usedAt), gt(joinTokens.expiresAt, now)),
        )
        .returning();
      return rows[0];
    },
  };
}
