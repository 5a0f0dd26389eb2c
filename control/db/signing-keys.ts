// Queries for signing keys (sealed private keys, publication and retirement times).
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from './database.ts';
import { signingKeys } from './schema.ts';

export type SigningKeyRow = typeof signingKeys.$inferSelect;

/** A SQL condition (`?` placeholders) a write must meet too, e.g. that its writer still holds a lease term. */
export interface WriteGuard {
  sql: string;
  args: (string | number)[];
}

const COLUMNS = 'kid, public_jwk, sealed_private_key, created_at, activates_at, retired_at, expires_at';

export function createSigningKeyQueries(db: Db) {
  const client = db.$client;
  const values = (row: SigningKeyRow) => [
    row.kid,
    row.publicJwk,
    row.sealedPrivateKey,
    row.createdAt,
    row.activatesAt,
    row.retiredAt,
    row.expiresAt,
  ];
  return {
    async insert(row: SigningKeyRow): Promise<void> {
      await db.insert(signingKeys).values(row);
    },
    /** Inserts the very first key unless some replica did already; false when one exists. */
    async insertFirst(row: SigningKeyRow): Promise<boolean> {
      const r = await client.execute({
        sql: `INSERT INTO signing_keys (${COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?
              WHERE NOT EXISTS (SELECT 1 FROM signing_keys)`,
        args: values(row),
      });
      return r.rowsAffected === 1;
    },
    /**
     * Publishes `row` and retires `newestKid` in one transaction, only if `newestKid` is still the one key not
     * retired (no other replica, and no earlier run of this one, rotated since it was read) and `guard` holds.
     * False when nothing was written: the rotation happened elsewhere, or the guard failed.
     */
    async rotate(
      row: SigningKeyRow,
      newestKid: string,
      retire: { retiredAt: number; expiresAt: number },
      guard?: WriteGuard,
    ): Promise<boolean> {
      const [inserted] = await client.batch(
        [
          {
            sql: `INSERT INTO signing_keys (${COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?
                  WHERE EXISTS (SELECT 1 FROM signing_keys WHERE kid = ? AND retired_at IS NULL)
                    AND NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL AND kid <> ?)
                    ${guard ? `AND ${guard.sql}` : ''}`,
            args: [...values(row), newestKid, newestKid, ...(guard?.args ?? [])],
          },
          {
            sql: `UPDATE signing_keys SET retired_at = ?, expires_at = ?
                  WHERE kid = ? AND retired_at IS NULL AND EXISTS (SELECT 1 FROM signing_keys WHERE kid = ?)`,
            args: [retire.retiredAt, retire.expiresAt, newestKid, row.kid],
          },
        ],
        'write',
      );
      return (inserted?.rowsAffected ?? 0) === 1;
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
