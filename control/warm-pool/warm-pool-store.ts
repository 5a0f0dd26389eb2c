// The warm pool's atomic statements on libSQL. The table is in the drizzle schema (control/db, `warm_nodes`);
// the statements stay single SQL statements, because their atomicity is the whole point.
import type { Client } from '@libsql/client';
import { WARM_NODE_STATES } from '../db/index.ts';

export { WARM_NODE_STATES };
/** Lifecycle of a pooled node. */
export type WarmNodeState = (typeof WARM_NODE_STATES)[number];

export interface WarmNodeRow {
  id: string;
  pool: string;
  state: WarmNodeState;
  claimedBy: string | null;
  idleSince: number | null;
}

/**
 * Claims the oldest warm node of a pool for a workspace, in one statement. SQLite runs a write statement
 * alone, and the outer WHERE re-checks `claimed_by IS NULL AND state = 'warm'`, so of two claims that picked
 * the same row in their subquery only one updates it; the other updates nothing and gets no row back. A node an
 * admin drained is never claimed.
 */
export const CLAIM_SQL = `UPDATE warm_nodes
  SET state = 'claimed', claimed_by = ?, claimed_at = ?, idle_since = NULL
  WHERE id = (
    SELECT id FROM warm_nodes
    WHERE pool = ? AND state = 'warm' AND claimed_by IS NULL
      AND id NOT IN (SELECT id FROM nodes WHERE drained_at IS NOT NULL)
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

  /**
   * The workspace is gone: the node it had claimed is warm again, idle from now. One statement; returns the
   * node, or undefined when the workspace had claimed none (it was placed the ordinary way).
   */
  async releaseClaimOf(workspaceId: string, now: number): Promise<string | undefined> {
    const r = await this.db.execute({
      sql: `UPDATE warm_nodes SET state = 'warm', claimed_by = NULL, claimed_at = NULL, idle_since = ?
            WHERE claimed_by = ? AND state = 'claimed' RETURNING id`,
      args: [now, workspaceId],
    });
    const id = r.rows[0]?.id;
    return typeof id === 'string' ? id : undefined;
  }

  /** The pool state of a node, or undefined when it is not a pool node. */
  async stateOf(id: string): Promise<WarmNodeState | undefined> {
    const r = await this.db.execute({ sql: 'SELECT state FROM warm_nodes WHERE id = ?', args: [id] });
    const state = r.rows[0]?.state;
    return typeof state === 'string' ? (state as WarmNodeState) : undefined;
  }

  /** Every pool that has a row, for maintenance of per-project pools. */
  async pools(): Promise<string[]> {
    const r = await this.db.execute('SELECT DISTINCT pool FROM warm_nodes ORDER BY pool');
    return r.rows.map((row) => String(row.pool));
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
      // A drained node takes no claim, so it does not count: the pool refills without it.
      sql: `SELECT count(*) AS n FROM warm_nodes WHERE pool = ? AND state IN ('provisioning', 'warm')
            AND id NOT IN (SELECT id FROM nodes WHERE drained_at IS NOT NULL)`,
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

  /** A write that must change exactly one row; anything else is an error, never swallowed. */
  private async expectOne(stmt: { sql: string; args: (string | number)[] }, what: string): Promise<void> {
    const r = await this.db.execute(stmt);
    if (r.rowsAffected !== 1)
      throw new Error(`warm pool: ${what} changed ${r.rowsAffected} rows, expected 1`);
  }
}
