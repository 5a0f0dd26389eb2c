// The warm pool's table and its atomic statements on libSQL. The lead moves the table into the drizzle
// schema; the statements stay single SQL statements, because their atomicity is the whole point.
import type { Client } from '@libsql/client';

/** Lifecycle of a pooled node. */
export const WARM_NODE_STATES = ['provisioning', 'warm', 'claimed', 'reaping'] as const;
export type WarmNodeState = (typeof WARM_NODE_STATES)[number];

export interface WarmNodeRow {
  id: string;
  pool: string;
  state: WarmNodeState;
  claimedBy: string | null;
  idleSince: number | null;
}

/** DDL of the table; the CHECK keeps the state union in the database too (LESSONS 5). */
export const WARM_NODES_DDL = [
  `CREATE TABLE IF NOT EXISTS warm_nodes (
    id TEXT PRIMARY KEY,
    pool TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('provisioning', 'warm', 'claimed', 'reaping')),
    created_at INTEGER NOT NULL,
    ready_at INTEGER,
    idle_since INTEGER,
    claimed_by TEXT,
    claimed_at INTEGER,
    CHECK ((state = 'claimed') = (claimed_by IS NOT NULL))
  )`,
  'CREATE INDEX IF NOT EXISTS warm_nodes_pool_state ON warm_nodes (pool, state, ready_at)',
];

/**
 * Claims the oldest warm node of a pool for a workspace, in one statement. SQLite runs a write statement
 * alone, and the outer WHERE re-checks `claimed_by IS NULL AND state = 'warm'`, so of two claims that picked
 * the same row in their subquery only one updates it; the other updates nothing and gets no row back.
 */
export const CLAIM_SQL = `UPDATE warm_nodes
  SET state = 'claimed', claimed_by = ?, claimed_at = ?, idle_since = NULL
  WHERE id = (
    SELECT id FROM warm_nodes
    WHERE pool = ? AND state = 'warm' AND claimed_by IS NULL
    ORDER BY ready_at, id LIMIT 1
  ) AND state = 'warm' AND claimed_by IS NULL
  RETURNING id`;

/** Marks one idle warm node for reaping, unless a claim took it first (same single-statement rule). */
export const MARK_REAPING_SQL = `UPDATE warm_nodes SET state = 'reaping'
  WHERE id = ? AND state = 'warm' AND claimed_by IS NULL
  RETURNING id`;

/** The warm pool's rows. One instance per database connection. */
export class WarmPoolStore {
  constructor(private readonly db: Client) {}

  /** Creates the table (tests and until the drizzle migration exists). */
  async migrate(): Promise<void> {
    for (const sql of WARM_NODES_DDL) await this.db.execute(sql);
  }

  /** Records a node being provisioned for `pool`. */
  async insertProvisioning(id: string, pool: string, now: number): Promise<void> {
    await this.db.execute({
      sql: `INSERT INTO warm_nodes (id, pool, state, created_at) VALUES (?, ?, 'provisioning', ?)`,
      args: [id, pool, now],
    });
  }

  /** Records a node provisioned straight for a workspace (no warm node was free). */
  async insertClaimed(id: string, pool: string, workspaceId: string, now: number): Promise<void> {
    await this.db.execute({
      sql: `INSERT INTO warm_nodes (id, pool, state, created_at, ready_at, claimed_by, claimed_at)
            VALUES (?, ?, 'claimed', ?, ?, ?, ?)`,
      args: [id, pool, now, now, workspaceId, now],
    });
  }

  /** A provisioned node is ready: it is warm and idle from now. */
  async markWarm(id: string, now: number): Promise<void> {
    await this.expectOne(
      {
        sql: `UPDATE warm_nodes SET state = 'warm', ready_at = ?, idle_since = ? WHERE id = ? AND state = 'provisioning'`,
        args: [now, now, id],
      },
      `mark ${id} warm`,
    );
  }

  /** Atomically claims a warm node of `pool` for `workspaceId`; undefined when none is free. */
  async claim(pool: string, workspaceId: string, now: number): Promise<string | undefined> {
    const r = await this.db.execute({ sql: CLAIM_SQL, args: [workspaceId, now, pool] });
    const id = r.rows[0]?.id;
    return typeof id === 'string' ? id : undefined;
  }

  /** The claimed node's workspace is gone: it is warm (idle) again from now. */
  async release(id: string, now: number): Promise<void> {
    await this.expectOne(
      {
        sql: `UPDATE warm_nodes SET state = 'warm', claimed_by = NULL, claimed_at = NULL, idle_since = ?
              WHERE id = ? AND state = 'claimed'`,
        args: [now, id],
      },
      `release ${id}`,
    );
  }

  /** Warm nodes of `pool` idle since `idleBefore` or earlier, longest idle first. */
  async idleSince(pool: string, idleBefore: number): Promise<string[]> {
    const r = await this.db.execute({
      sql: `SELECT id FROM warm_nodes WHERE pool = ? AND state = 'warm' AND idle_since <= ? ORDER BY idle_since, id`,
      args: [pool, idleBefore],
    });
    return r.rows.map((row) => String(row.id));
  }

  /** Moves a warm node to `reaping` unless it was claimed meanwhile; true when this caller may destroy it. */
  async markReaping(id: string): Promise<boolean> {
    const r = await this.db.execute({ sql: MARK_REAPING_SQL, args: [id] });
    return r.rows.length === 1;
  }

  async remove(id: string): Promise<void> {
    await this.db.execute({ sql: 'DELETE FROM warm_nodes WHERE id = ?', args: [id] });
  }

  /** Nodes of a pool counting toward its minimum (warm or on their way). */
  async countAvailable(pool: string): Promise<number> {
    const r = await this.db.execute({
      sql: `SELECT count(*) AS n FROM warm_nodes WHERE pool = ? AND state IN ('provisioning', 'warm')`,
      args: [pool],
    });
    return Number(r.rows[0]?.n ?? 0);
  }

  async list(pool: string): Promise<WarmNodeRow[]> {
    const r = await this.db.execute({
      sql: 'SELECT id, pool, state, claimed_by, idle_since FROM warm_nodes WHERE pool = ? ORDER BY created_at, id',
      args: [pool],
    });
    return r.rows.map((row) => ({
      id: String(row.id),
      pool: String(row.pool),
      state: row.state as WarmNodeState,
      claimedBy: row.claimed_by === null ? null : String(row.claimed_by),
      idleSince: row.idle_since === null ? null : Number(row.idle_since),
    }));
  }

  /** A write that must change exactly one row; anything else is an error, never swallowed (LESSONS 5). */
  private async expectOne(stmt: { sql: string; args: (string | number)[] }, what: string): Promise<void> {
    const r = await this.db.execute(stmt);
    if (r.rowsAffected !== 1)
      throw new Error(`warm pool: ${what} changed ${r.rowsAffected} rows, expected 1`);
  }
}
