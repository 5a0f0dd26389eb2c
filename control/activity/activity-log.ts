// The per-workspace activity log on libSQL: lifecycle, task and agent events; newest first, or strictly after
// a cursor oldest first for pollers; retention pruning; full-text search through FTS5 with quoted terms only.
import type { Client, Row } from '@libsql/client';
import { type ActivityEvent, type ActivityKind, ftsQuery } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import { ControlError } from '../errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

export interface ActivityConfig {
  /** 30 days: events older than this are pruned, and their cursors answer 410. */
  retentionMs: number;
  /** 50 events per page unless the caller asks for another limit. */
  defaultLimit: number;
  /** 500: the most one page may hold. */
  maxLimit: number;
}

export function defaultActivityConfig(): ActivityConfig {
  return { retentionMs: 30 * 86_400_000, defaultLimit: 50, maxLimit: 500 };
}

export interface ActivityAppend {
  workspaceId: string;
  kind: ActivityKind;
  type: string;
  message: string;
}

export interface ActivityListOptions {
  /** A cursor (an event's `id`): only events strictly after it, oldest first. */
  sinceId?: string;
  limit?: number;
  /** Plain search words; every one must occur. */
  q?: string;
}

export interface ActivityLog {
  append(event: ActivityAppend): Promise<ActivityEvent>;
  /** Throws 400 `invalid_cursor` for a foreign or tampered cursor, 410 `gone` for a pruned one. */
  list(workspaceId: string, options?: ActivityListOptions): Promise<ActivityEvent[]>;
  /** Deletes events older than the retention; returns how many. */
  prune(): Promise<number>;
  /** Deletes every event of a workspace (when the workspace is deleted). */
  removeWorkspace(workspaceId: string): Promise<void>;
}

export function createActivityLog(deps: {
  client: Client;
  clock: Clock;
  /** The HMAC key of cursors (32 random bytes, e.g. derived from the master key). */
  cursorKey: Uint8Array;
  config?: ActivityConfig;
}): ActivityLog {
  const { client, clock, cursorKey } = deps;
  const config = deps.config ?? defaultActivityConfig();

  const present = (row: Row): ActivityEvent => {
    const id = Number(row.id);
    const at = Number(row.at);
    const workspaceId = String(row.workspace_id);
    return {
      id: encodeCursor(cursorKey, { workspaceId, id, at }),
      workspaceId,
      kind: String(row.kind) as ActivityKind,
      type: String(row.type),
      message: String(row.message),
      at: new Date(at).toISOString(),
    };
  };

  return {
    async append(e) {
      const at = clock.now();
      const r = await client.execute({
        sql: `INSERT INTO activity_events (workspace_id, at, kind, type, message) VALUES (?, ?, ?, ?, ?)
              RETURNING id, workspace_id, at, kind, type, message`,
        args: [e.workspaceId, at, e.kind, e.type, e.message],
      });
      const row = r.rows[0];
      if (!row) throw new Error('activity insert returned no row');
      return present(row);
    },

    async list(workspaceId, options = {}) {
      const limit = Math.min(Math.max(1, options.limit ?? config.defaultLimit), config.maxLimit);
      const where = ['e.workspace_id = ?'];
      const args: (string | number)[] = [workspaceId];
      let order = 'DESC';
      if (options.sinceId !== undefined) {
        const position = decodeCursor(cursorKey, workspaceId, options.sinceId);
        if (!position) throw new ControlError('invalid_cursor', 'the cursor is not valid for this workspace');
        const exists = await client.execute({
          sql: 'SELECT 1 FROM activity_events WHERE id = ? AND workspace_id = ?',
          args: [position.id, workspaceId],
        });
        if (exists.rows.length === 0 || position.at < clock.now() - config.retentionMs)
          throw new ControlError(
            'gone',
            'the cursor points at events that were pruned; list again without it',
          );
        where.push('e.id > ?');
        args.push(position.id);
        order = 'ASC';
      }
      let from = 'activity_events e';
      if (options.q !== undefined) {
        const match = ftsQuery(options.q);
        if (match === undefined) return [];
        from = 'activity_search s JOIN activity_events e ON e.id = s.rowid';
        where.push('activity_search MATCH ?');
        args.push(match);
      }
      args.push(limit);
      const r = await client.execute({
        sql: `SELECT e.id, e.workspace_id, e.at, e.kind, e.type, e.message FROM ${from}
              WHERE ${where.join(' AND ')} ORDER BY e.id ${order} LIMIT ?`,
        args,
      });
      return r.rows.map(present);
    },

    async prune() {
      const r = await client.execute({
        sql: 'DELETE FROM activity_events WHERE at < ?',
        args: [clock.now() - config.retentionMs],
      });
      return r.rowsAffected;
    },

    async removeWorkspace(workspaceId) {
      await client.execute({
        sql: 'DELETE FROM activity_events WHERE workspace_id = ?',
        args: [workspaceId],
      });
    },
  };
}
