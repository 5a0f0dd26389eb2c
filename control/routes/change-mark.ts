// What the database says changed, for the live feed: written by this replica or any other on the same database.
import type { Client } from '@libsql/client';

/** A cheap fingerprint of the rows the live feed shows, and the newest activity event id. */
export interface ChangeMark {
  /** Counts and sums of update times of workspaces, tasks and nodes (plus node statuses): any write moves it. */
  rows: string;
  /** The newest activity event id: events after it are new. */
  activityId: number;
}

/** Reads the mark in one statement (a round trip per follow interval, only while someone is subscribed). */
export async function readChangeMark(client: Client): Promise<ChangeMark> {
  const r = await client.execute(
    `SELECT
       (SELECT count(*) || ':' || total(updated_at) FROM workspaces) || '|' ||
       (SELECT count(*) || ':' || total(updated_at) FROM tasks) || '|' ||
       (SELECT count(*) || ':' || total(last_heartbeat_at) || ':' || coalesce(group_concat(status), '')
          FROM nodes) AS rows,
       (SELECT coalesce(max(id), 0) FROM activity_events) AS activity_id`,
  );
  const row = r.rows[0];
  return { rows: String(row?.rows ?? ''), activityId: Number(row?.activity_id ?? 0) };
}

/** The workspaces whose activity log grew past `afterId` (at most `limit` events looked at). */
export async function workspacesWithActivityAfter(
  client: Client,
  afterId: number,
  limit = 1000,
): Promise<string[]> {
  const r = await client.execute({
    sql: 'SELECT DISTINCT workspace_id FROM (SELECT workspace_id FROM activity_events WHERE id > ? ORDER BY id LIMIT ?)',
    args: [afterId, limit],
  });
  return r.rows.map((row) => String(row.workspace_id));
}
