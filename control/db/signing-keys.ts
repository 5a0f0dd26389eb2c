// Queries for signing keys (sealed private keys, publication and retirement times).
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from './database.ts';
import { signingKeys } from './schema.ts';

export type SigningKeyRow = typeof signingKeys.$inferSelect;

export function createSigningKeyQueries(db: Db) {
  return {
    async insert(row: SigningKeyRow): Promise<void> {
      await db.insert(signingKeys).values(row);
    },
    async list(): Promise<SigningKeyRow[]> {
      return db.select().from(signingKeys).orderBy(asc(signingKeys.activatesAt), asc(signingKeys.kid));
    },
    /** Marks a key as replaced at `retiredAt`; it stays published until `expiresAt`. */
    async retire(kid: string, retiredAt: number, expiresAt: number): Promise<void> {
      await db
        .update(signingKeys)
        .set({ retiredAt, expiresAt })
        .where(and(eq(signingKeys.kid, kid), isNull(signingKeys.retiredAt)));
    },
    async remove(kid: string): Promise<void> {
      await db.delete(signingKeys).where(eq(signingKeys.kid, kid));
    },
  };
}
