// Queries for users and their one-time login links.
import { and, asc, count, eq, gt, isNull } from 'drizzle-orm';
import type { Role } from '../../contract/index.ts';
import type { Db } from './database.ts';
import { loginLinks, users } from './schema.ts';

export type UserRow = typeof users.$inferSelect;

export function createUserQueries(db: Db) {
  return {
    async insert(row: UserRow): Promise<UserRow> {
      await db.insert(users).values(row);
      return row;
    },
    async get(id: string): Promise<UserRow | undefined> {
      return db.query.users.findFirst({ where: eq(users.id, id) });
    },
    async count(): Promise<number> {
      const [r] = await db.select({ n: count() }).from(users);
      return r?.n ?? 0;
    },
    async list(): Promise<UserRow[]> {
      return db.select().from(users).orderBy(asc(users.createdAt), asc(users.id));
    },
    async setRole(id: string, role: Role): Promise<void> {
      await db.update(users).set({ role }).where(eq(users.id, id));
    },
    async insertLoginLink(tokenHash: string, userId: string, expiresAt: number): Promise<void> {
      await db.insert(loginLinks).values({ tokenHash, userId, expiresAt });
    },
    /** Marks a login link used and returns its user, in one statement so a link works once. */
    async consumeLoginLink(tokenHash: string, now: number): Promise<string | undefined> {
      const rows = await db
        .update(loginLinks)
        .set({ usedAt: now })
        .where(
          and(eq(loginLinks.tokenHash, tokenHash), isNull(loginLinks.usedAt), gt(loginLinks.expiresAt, now)),
        )
        .returning({ userId: loginLinks.userId });
      return rows[0]?.userId;
    },
  };
}
