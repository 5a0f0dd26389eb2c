// Queries for API tokens: opaque secrets stored as SHA-256 hashes.
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from './database.ts';
import { apiTokens } from './schema.ts';

export type ApiTokenRow = typeof apiTokens.$inferSelect;

export function createApiTokenQueries(db: Db) {
  return {
    async insert(row: ApiTokenRow): Promise<void> {
      await db.insert(apiTokens).values(row);
    },
    async findByHash(tokenHash: string): Promise<ApiTokenRow | undefined> {
      return db.query.apiTokens.findFirst({ where: eq(apiTokens.tokenHash, tokenHash) });
    },
    async listOfUser(userId: string): Promise<ApiTokenRow[]> {
      return db
        .select()
        .from(apiTokens)
        .where(eq(apiTokens.userId, userId))
        .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
    },
    /** Revokes one token of `userId`; false when there is no such token of that user. */
    async revoke(id: string, userId: string, now: number): Promise<ApiTokenRow | undefined> {
      const rows = await db
        .update(apiTokens)
        .set({ revokedAt: now })
        .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId)))
        .returning();
      return rows[0];
    },
    async revokeAllOfUser(userId: string, now: number): Promise<void> {
      await db
        .update(apiTokens)
        .set({ revokedAt: now })
        .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
    },
    async touch(id: string, now: number): Promise<void> {
      await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, id));
    },
  };
}
