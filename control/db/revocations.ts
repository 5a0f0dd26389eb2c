// Queries for revocations: one row per subject with the latest notBefore.
import { asc, lt } from 'drizzle-orm';
import type { Revocation } from '../../contract/index.ts';
import type { Db } from './database.ts';
import { revocations } from './schema.ts';

export function createRevocationQueries(db: Db) {
  return {
    /** Records (or moves forward) the revocation of `subject`. */
    async upsert(subject: string, notBefore: number, now: number): Promise<Revocation> {
      const [row] = await db
        .insert(revocations)
        .values({ subject, notBefore, createdAt: now })
        .onConflictDoUpdate({ target: revocations.subject, set: { notBefore, createdAt: now } })
        .returning();
      if (!row) throw new Error('revocation upsert returned no row');
      return {
        subject: row.subject,
        notBefore: row.notBefore,
        createdAt: new Date(row.createdAt).toISOString(),
      };
    },
    /**
     * Drops revocations recorded before `before` (ms): once every token issued before them has expired
     * they void nothing, and the list every heartbeat carries stays short.
     */
    async prune(before: number): Promise<number> {
      const rows = await db.delete(revocations).where(lt(revocations.createdAt, before)).returning();
      return rows.length;
    },
    async list(): Promise<Revocation[]> {
      const rows = await db.select().from(revocations).orderBy(asc(revocations.subject));
      return rows.map((r) => ({
        subject: r.subject,
        notBefore: r.notBefore,
        createdAt: new Date(r.createdAt).toISOString(),
      }));
    },
  };
}
