// Queries for UI sessions: revocable rows behind an httpOnly cookie.
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from './database.ts';
import { sessions } from './schema.ts';

export type SessionRow = typeof sessions.$inferSelect;

export function createSessionQueries(db: Db) {
  return {
    async insert(row: SessionRow): Promise<void> {
      await db.insert(sessions).values(row);
    },
    async findByHash(tokenHash: string): Promise<SessionRow | undefined> {
      return db.query.sessions.findFirst({ where: eq(sessions.tokenHash, tokenHash) });
    },
    async revoke(id: string, now: number): Promise<void> {
      await db
        .update(sessions)
        .set({ revokedAt: now })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)));
    },
    async revokeAllOfUser(userId: string, now: number): Promise<void> {
      await db
        .update(sessions)
        .set({ revokedAt: now })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
    },
  };
}
