// The lease rows: acquire, renew and release as single conditional statements, and the fence for holders' writes.
import type { Client } from '@libsql/client';

/** One holding of a lease: `term` grows with every change of hands (also when a holder takes it back). */
export interface LeaseTerm {
  name: string;
  holder: string;
  term: number;
  /** Unix ms on the writer's clock; past it anyone may take the lease. */
  expiresAt: number;
}

/** The row as every replica sees it, with what the holder tells the others. */
export interface LeaseRow extends LeaseTerm {
  acquiredAt: number;
  info: string;
}

export interface LeaseStore {
  /**
   * Takes `name` for `holder` when it is free, expired, or already this holder's (a restarted replica on the same
   * data dir: its lock proves the earlier process is gone). Always a new term. Undefined when another holds it.
   */
  acquire(
    name: string,
    holder: string,
    ttlMs: number,
    now: number,
    info: string,
  ): Promise<LeaseTerm | undefined>;
  /** Extends a term still held at `now`; undefined when it was lost (expired, or taken over). */
  renew(held: LeaseTerm, ttlMs: number, now: number, info: string): Promise<LeaseTerm | undefined>;
  /** Ends a term at once (a clean stop), so a standby takes over without waiting for the expiry. */
  release(held: LeaseTerm): Promise<void>;
  current(name: string): Promise<LeaseRow | undefined>;
}

const RETURNING = 'RETURNING name, holder, term, expires_at, acquired_at, info';

function toRow(row: Record<string, unknown> | undefined): LeaseRow | undefined {
  if (!row) return undefined;
  return {
    name: String(row.name),
    holder: String(row.holder),
    term: Number(row.term),
    expiresAt: Number(row.expires_at),
    acquiredAt: Number(row.acquired_at),
    info: String(row.info),
  };
}

const termOf = (r: LeaseRow | undefined): LeaseTerm | undefined =>
  r && { name: r.name, holder: r.holder, term: r.term, expiresAt: r.expiresAt };

export function createLeaseStore(client: Client): LeaseStore {
  return {
    async acquire(name, holder, ttlMs, now, info) {
      // One statement: a compare-and-set on (expiry, holder). Two replicas racing for an expired lease both
      // run it; the database serializes them, and the second finds the first's unexpired row and changes nothing.
      const r = await client.execute({
        sql: `INSERT INTO leases (name, holder, term, expires_at, acquired_at, info) VALUES (?1, ?2, 1, ?3, ?4, ?5)
              ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, term = leases.term + 1,
                expires_at = excluded.expires_at, acquired_at = excluded.acquired_at, info = excluded.info
              WHERE leases.expires_at <= ?4 OR leases.holder = excluded.holder
              ${RETURNING}`,
        args: [name, holder, now + ttlMs, now, info],
      });
      return termOf(toRow(r.rows[0] as Record<string, unknown> | undefined));
    },
    async renew(held, ttlMs, now, info) {
      const r = await client.execute({
        sql: `UPDATE leases SET expires_at = ?, info = ?
              WHERE name = ? AND holder = ? AND term = ? AND expires_at > ? ${RETURNING}`,
        args: [now + ttlMs, info, held.name, held.holder, held.term, now],
      });
      return termOf(toRow(r.rows[0] as Record<string, unknown> | undefined));
    },
    async release(held) {
      await client.execute({
        sql: 'UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ? AND term = ?',
        args: [held.name, held.holder, held.term],
      });
    },
    async current(name) {
      const r = await client.execute({
        sql: 'SELECT name, holder, term, expires_at, acquired_at, info FROM leases WHERE name = ?',
        args: [name],
      });
      return toRow(r.rows[0] as Record<string, unknown> | undefined);
    },
  };
}

/**
 * A condition for a write made on the strength of a lease: true only while `held` is still the lease's current,
 * unexpired term at `now`. A holder paused (GC, a stopped VM) past its expiry wakes up to writes that change
 * nothing, because another replica took a newer term meanwhile.
 */
export function stillHolds(held: LeaseTerm, now: number): { sql: string; args: (string | number)[] } {
  return {
    sql: 'EXISTS (SELECT 1 FROM leases WHERE name = ? AND holder = ? AND term = ? AND expires_at > ?)',
    args: [held.name, held.holder, held.term, now],
  };
}
