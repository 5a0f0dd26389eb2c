// Queries for users and their one-time login links.
import { and, asc, count, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Role, UserStatus } from '../../contract/index.ts';
import type { Db } from './database.ts';
import { loginLinks, users } from './schema.ts';

export type UserRow = typeof users.$inferSelect;
/** A new user: status defaults to `active`, GitHub fields to null. */
export type NewUserRow = typeof users.$inferInsert;

export function createUserQueries(db: Db) {
  return {
    async insert(row: NewUserRow): Promise<UserRow> {
      const [inserted] = await db.insert(users).values(row).returning();
      if (!inserted) throw new Error('user insert returned no row');
      return inserted;
    },
    async getByGithubId(githubId: number): Promise<UserRow | undefined> {
      return db.query.users.findFirst({ where: eq(users.githubId, githubId) });
    },
    /** Sets the status; returns the updated user, undefined when there is no such user. */
    async setStatus(id: string, status: UserStatus): Promise<UserRow | undefined> {
      const rows = await db.update(users).set({ status }).where(eq(users.id, id)).returning();
      return rows[0];
    },
    /**
     * Links a GitHub account to a user that has none (or has this one) and refreshes the login; false when
     * the user is linked to another GitHub account. The unique index refuses an account linked elsewhere.
     */
    async linkGithub(id: string, githubId: number, githubLogin: string): Promise<boolean> {
      const rows = await db
        .update(users)
        .set({ githubId, githubLogin })
        .where(and(eq(users.id, id), or(isNull(users.githubId), eq(users.githubId, githubId))))
        .returning({ id: users.id });
      return rows.length === 1;
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
    /** Disables (`at`: when) or enables (`null`) a user; returns it, undefined when there is no such user. */
    async setDisabled(id: string, at: number | null): Promise<UserRow | undefined> {
      const rows = await db.update(users).set({ disabledAt: at }).where(eq(users.id, id)).returning();
      return rows[0];
    },
    /** The user with this email, whatever its case. */
    async getByEmail(email: string): Promise<UserRow | undefined> {
      return db.query.users.findFirst({ where: sql`lower(${users.email}) = lower(${email})` });
    },
    /** Deletes the user; their sessions, API tokens and login links go with them (cascade). */
    async remove(id: string): Promise<boolean> {
      const rows = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
      return rows.length === 1;
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
