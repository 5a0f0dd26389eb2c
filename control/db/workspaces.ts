// Queries for workspaces, including the capacity-checked placement insert.

import type { InValue } from '@libsql/client';
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import {
  decode,
  type PermissionPolicy,
  WorkspaceResources,
  type WorkspaceStatus,
} from '../../contract/index.ts';
import { coalescedReads } from './coalesced-reads.ts';
import type { Db } from './database.ts';
import { listNodesQuery, type NodeRow, type NodeWithCount, withWorkspaceCount } from './nodes.ts';
import type { ProjectRow } from './projects.ts';
import { rowMapper } from './raw-rows.ts';
import { activityEvents, nodes, projects, workspaces } from './schema.ts';

export type WorkspaceRow = typeof workspaces.$inferSelect;

/**
 * A lifecycle event of the workspace's activity log, written in the same transaction as the change it
 * describes: the change and its record land together or not at all, and neither waits on the other.
 */
export interface LifecycleNote {
  /** `created`, `placed`, `started`…; stored as `workspace.<type>`. */
  type: string;
  message: string;
}

/**
 * A row's resource limits, validated on the way out. The column only ever holds what WorkspaceCreate accepted,
 * so a value that fails here was written by something else: it reads as `{}` (the node's defaults) instead of
 * failing every heartbeat of the node that hosts it, and `onInvalid` hears why.
 */
export function workspaceResources(
  row: Pick<WorkspaceRow, 'resources'>,
  onInvalid?: (message: string) => void,
): WorkspaceResources {
  let stored: unknown;
  try {
    stored = JSON.parse(row.resources);
  } catch (e) {
    onInvalid?.(`not JSON: ${(e as Error).message}`);
    return {};
  }
  const r = decode(WorkspaceResources, stored);
  if (r.ok) return r.value;
  onInvalid?.(r.issues.map((i) => `${i.path || 'resources'}: ${i.message}`).join('; '));
  return {};
}

/** The few fields of a workspace and its node that a token mint reads. */
export interface WorkspaceAccessTarget {
  id: string;
  ownerId: string;
  nodeId: string | null;
  desiredState: WorkspaceRow['desiredState'];
  nodeAddress: string | null;
  nodeBaseDomain: string | null;
}

// The one-batch create's statements, plain SQL so that nothing is built per call (see raw-rows.ts). Placement is
// `rankNodes` in SQL: online, undrained, with a free slot and without the skipped label, most free slots first,
// ties by id.
const INSERT_ON_ROOMIEST_NODE = `INSERT INTO workspaces
  (id, name, project_id, owner_id, node_id, status, status_before_unreachable, desired_state, status_reason,
   app_command, agent_command, env, resources, shell, port, created_at, updated_at, task_id, repository)
  SELECT ?1, ?2, p.id, ?3, n.id, 'starting', NULL, ?4, ?5, coalesce(?6, p.app_command),
    coalesce(?7, p.agent_command), ?8,
    coalesce(?9, CASE WHEN json_valid(p.resources) THEN json(p.resources) ELSE '{}' END), ?10, ?11, ?12, ?13,
    ?17, ?18
  FROM projects AS p,
    (SELECT id FROM nodes
      WHERE status = 'online' AND drained_at IS NULL AND occupied_workspaces < capacity_workspaces
        AND (json_valid(labels) = 0 OR json_type(labels, ?14) IS NULL)
      ORDER BY capacity_workspaces - occupied_workspaces DESC, id
      LIMIT 1) AS n
  WHERE p.id = ?15 AND (?16 IS NULL OR p.owner_id = ?16)`;
const NOTES_OF_PLACED = `INSERT INTO activity_events (workspace_id, at, kind, type, message)
  SELECT ?1, ?2, 'lifecycle', column1, column2 FROM (VALUES
    ('workspace.created', ?3),
    ('workspace.placed', 'placed on node ' || (SELECT node_id FROM workspaces WHERE id = ?4)))
  WHERE changes() = 1`;
/** The node a one-batch create chose, with what SQL filled in of the workspace and its project's policy. */
const PLACED_WITH_NODE = `SELECT n.*, w.app_command AS "w.app_command", w.agent_command AS "w.agent_command",
    w.resources AS "w.resources", p.agent_permissions AS "p.agent_permissions"
  FROM workspaces AS w JOIN nodes AS n ON n.id = w.node_id JOIN projects AS p ON p.id = w.project_id
  WHERE w.id = ?`;
const nodeFrom = rowMapper(nodes);

/** The node exists, is not drained and has a free slot (one row read: the count is kept by triggers). */
const hasRoom = (nodeId: string) =>
  sql`EXISTS (SELECT 1 FROM ${nodes} WHERE ${nodes.id} = ${nodeId} AND ${nodes.drainedAt} IS NULL
    AND ${nodes.occupiedWorkspaces} < ${nodes.capacityWorkspaces})`;

/**
 * How long a token mint's read of a workspace (owner, state, node) is reused: 1 s. Any write through this
 * process's store to workspaces or nodes drops every entry at once; the bound covers writes made elsewhere (another
 * replica, by hand). In that second a mint may name the node a workspace just left, or a workspace another replica
 * just began deleting: the node, which checks every token against what it hosts, refuses either.
 */
export const ACCESS_TARGET_TTL_MS = 1_000;
/** Entries kept at most; past it the cache starts over (a miss just reads). */
const ACCESS_TARGETS_MAX = 10_000;

export function createWorkspaceQueries(db: Db) {
  const targets = new Map<string, { until: number; target: WorkspaceAccessTarget }>();
  /** Moves on every forget: a read that began before one is not kept. */
  let targetsGeneration = 0;
  /**
   * The statements recording `notes` right after a write in one batch. `changes()` is the row count of the
   * batch's previous statement on the same connection (triggers excluded), so each note lands only if the
   * write before it changed its row: a compare-and-set that lost writes no event.
   */
  const notesAfterWrite = (workspaceId: string, at: number, notes: LifecycleNote[]) => {
    if (notes.length === 0) return [];
    const rows = sql.join(
      notes.map((n) => sql`(${`workspace.${n.type}`}, ${n.message})`),
      sql`, `,
    );
    // One statement for all of them: changes() is read before it inserts anything, so every row sees the write's.
    return [
      db.run(sql`INSERT INTO ${activityEvents} (workspace_id, at, kind, type, message)
        SELECT ${workspaceId}, ${at}, 'lifecycle', column1, column2 FROM (VALUES ${rows}) WHERE changes() = 1`),
    ];
  };

  // Built once: every workspace read runs it, and building the SQL was a tenth of a token mint's time.
  const getWithNode = db
    .select({ workspace: workspaces, node: nodes })
    .from(workspaces)
    .leftJoin(nodes, eq(workspaces.nodeId, nodes.id))
    .where(eq(workspaces.id, sql.placeholder('id')))
    .prepare();
  // A token mint reads only these: reading every column of both rows was 40 % of a mint's time on the file
  // (libSQL describes each column of a statement on every call).
  const accessTargetFields = {
    id: workspaces.id,
    ownerId: workspaces.ownerId,
    nodeId: workspaces.nodeId,
    desiredState: workspaces.desiredState,
    nodeAddress: nodes.address,
    nodeBaseDomain: nodes.baseDomain,
  };
  const accessTargetQuery = db
    .select(accessTargetFields)
    .from(workspaces)
    .leftJoin(nodes, eq(workspaces.nodeId, nodes.id))
    .where(eq(workspaces.id, sql.placeholder('id')))
    .prepare();
  // Concurrent mints for different workspaces read together (one round trip on sqld): see coalesced-reads.ts.
  const lookUpAccessTargets = coalescedReads<string, WorkspaceAccessTarget>(async (ids) => {
    const rows =
      ids.length === 1
        ? await accessTargetQuery.execute({ id: ids[0] })
        : await db
            .select(accessTargetFields)
            .from(workspaces)
            .leftJoin(nodes, eq(workspaces.nodeId, nodes.id))
            .where(inArray(workspaces.id, ids));
    return new Map(rows.map((r) => [r.id, r]));
  });

  return {
    /** Inserts an unplaced (`pending`) workspace with its lifecycle notes. */
    async insert(row: WorkspaceRow, notes: LifecycleNote[] = []): Promise<void> {
      await db.batch([db.insert(workspaces).values(row), ...notesAfterWrite(row.id, row.createdAt, notes)]);
    },
    /**
     * Inserts `row` on `row.nodeId` only if that node still has a free slot, checked in the same
     * statement, so concurrent creates never overfill a node; `notes` land with it. False when it was full.
     */
    async insertIfCapacity(row: WorkspaceRow, notes: LifecycleNote[] = []): Promise<boolean> {
      const nodeId = row.nodeId;
      if (!nodeId) throw new Error('insertIfCapacity needs a node');
      const insert = db.run(sql`INSERT INTO ${workspaces}
        (id, name, project_id, owner_id, node_id, status, status_before_unreachable, desired_state,
         status_reason, app_command, agent_command, env, resources, shell, generation, agent_state, task_id,
         repository, port, created_at, updated_at)
        SELECT ${row.id}, ${row.name}, ${row.projectId}, ${row.ownerId}, ${nodeId}, ${row.status}, NULL,
          ${row.desiredState}, ${row.statusReason}, ${row.appCommand}, ${row.agentCommand}, ${row.env},
          ${row.resources}, ${row.shell}, ${row.generation}, ${row.agentState}, ${row.taskId},
          ${row.repository}, ${row.port}, ${row.createdAt}, ${row.updatedAt}
        WHERE ${hasRoom(nodeId)}`);
      const [r] = await db.batch([insert, ...notesAfterWrite(row.id, row.createdAt, notes)]);
      return r.rowsAffected === 1;
    },
    /**
     * A create in one round trip (one batch): inserts `row` on the online, undrained node with the most free
     * slots (ties by id, as `rankNodes` orders them) that has no `skipLabel` label, taking what the request
     * left null (app and agent command, resources) from the project's defaults, if the project exists and
     * `ownerId` (unless undefined: an admin) owns it; records the created and placed notes; reads back the
     * row with its node and the project's permission policy. Undefined when nothing was inserted (no such project for this caller, or
     * no node with room): the caller decides why with a read.
     */
    async insertOnRoomiestNode(
      row: Omit<WorkspaceRow, 'nodeId' | 'status' | 'generation' | 'agentState' | 'resources'> & {
        resources: string | null;
      },
      ownerId: string | undefined,
      skipLabel: string,
    ): Promise<{ workspace: WorkspaceRow; node: NodeRow; agentPermissions: PermissionPolicy } | undefined> {
      const args = (values: unknown[]) => values as InValue[];
      const [, , placed] = await db.$client.batch(
        [
          {
            sql: INSERT_ON_ROOMIEST_NODE,
            args: args([
              row.id,
              row.name,
              row.ownerId,
              row.desiredState,
              row.statusReason,
              row.appCommand,
              row.agentCommand,
              row.env,
              row.resources,
              row.shell,
              row.port,
              row.createdAt,
              row.updatedAt,
              `$."${skipLabel}"`,
              row.projectId,
              ownerId ?? null,
              row.taskId,
              row.repository,
            ]),
          },
          {
            sql: NOTES_OF_PLACED,
            args: args([row.id, row.createdAt, `workspace ${row.name} created`, row.id]),
          },
          { sql: PLACED_WITH_NODE, args: [row.id] },
        ],
        'write',
      );
      const r = placed?.rows[0];
      if (!r) return undefined;
      const text = (column: string) => (r[column] === null ? null : String(r[column]));
      const node = nodeFrom(r);
      return {
        // What SQL decided (the node, the project's defaults); the rest is what was inserted.
        workspace: {
          ...row,
          nodeId: node.id,
          status: 'starting',
          generation: 0,
          agentState: null,
          appCommand: text('w.app_command'),
          agentCommand: text('w.agent_command'),
          resources: String(r['w.resources']),
        },
        node,
        agentPermissions: r['p.agent_permissions'] === 'allow' ? 'allow' : 'ask',
      };
    },
    /** Places an unplaced workspace on `nodeId` if the node has room; same atomic check as the insert. */
    async placeIfCapacity(
      id: string,
      nodeId: string,
      status: WorkspaceStatus,
      now: number,
      notes: LifecycleNote[] = [],
    ): Promise<boolean> {
      const place =
        db.run(sql`UPDATE ${workspaces} SET node_id = ${nodeId}, status = ${status}, updated_at = ${now}
        WHERE id = ${id} AND node_id IS NULL
          AND ${hasRoom(nodeId)}`);
      const [r] = await db.batch([place, ...notesAfterWrite(id, now, notes)]);
      return r.rowsAffected === 1;
    },
    /** What a create decides with, read in one round trip: the project and every node with its load. */
    async placementInputs(projectId: string): Promise<{ project?: ProjectRow; nodes: NodeWithCount[] }> {
      const [project, nodeRows] = await db.batch([
        db.select().from(projects).where(eq(projects.id, projectId)),
        listNodesQuery(db),
      ]);
      return { project: project[0], nodes: nodeRows.map(withWorkspaceCount) };
    },
    async get(id: string): Promise<WorkspaceRow | undefined> {
      return db.query.workspaces.findFirst({ where: eq(workspaces.id, id) });
    },
    /** The workspace with its hosting node (null when unplaced) in one round trip. */
    async getWithNode(id: string): Promise<{ workspace: WorkspaceRow; node: NodeRow | null } | undefined> {
      return (await getWithNode.execute({ id }))[0];
    },
    /**
     * What minting a token for the workspace needs: who owns it, whether it is going, where it runs. A placed,
     * not deleted workspace's answer is reused for ACCESS_TARGET_TTL_MS.
     */
    async accessTarget(id: string): Promise<WorkspaceAccessTarget | undefined> {
      const now = performance.now();
      const hit = targets.get(id);
      if (hit && hit.until > now) return hit.target;
      const readAt = targetsGeneration;
      const found = await lookUpAccessTargets(id);
      // A write that landed while this read was on the wire may have changed what it read: not kept then.
      if (readAt !== targetsGeneration) return found;
      if (found?.nodeId && found.desiredState !== 'deleted') {
        if (targets.size >= ACCESS_TARGETS_MAX) targets.clear();
        targets.set(id, { until: now + ACCESS_TARGET_TTL_MS, target: found });
      } else targets.delete(id);
      return found;
    },
    /** Drops every remembered mint read: a workspace or node changed. */
    forgetAccessTargets(): void {
      targets.clear();
      targetsGeneration++;
    },
    /** All workspaces, or those of one owner. */
    async list(ownerId?: string): Promise<WorkspaceRow[]> {
      const q = db.select().from(workspaces);
      return (ownerId ? q.where(eq(workspaces.ownerId, ownerId)) : q).orderBy(
        asc(workspaces.createdAt),
        asc(workspaces.id),
      );
    },
    async listOnNode(nodeId: string): Promise<WorkspaceRow[]> {
      return db
        .select()
        .from(workspaces)
        .where(eq(workspaces.nodeId, nodeId))
        .orderBy(asc(workspaces.createdAt), asc(workspaces.id));
    },
    async listUnplaced(): Promise<WorkspaceRow[]> {
      return db
        .select()
        .from(workspaces)
        .where(and(isNull(workspaces.nodeId), inArray(workspaces.desiredState, ['running', 'stopped'])))
        .orderBy(asc(workspaces.createdAt), asc(workspaces.id));
    },
    /**
     * Updates a workspace only if its status is still `from` (compare-and-set), so a transition checked
     * against the table cannot race another writer; `notes` land only with the update. Returns the new row,
     * or undefined if it moved.
     */
    async update(
      id: string,
      from: WorkspaceStatus,
      patch: Partial<Omit<WorkspaceRow, 'id' | 'createdAt'>>,
      notes: LifecycleNote[] = [],
    ): Promise<WorkspaceRow | undefined> {
      const update = db
        .update(workspaces)
        .set(patch)
        .where(and(eq(workspaces.id, id), eq(workspaces.status, from)))
        .returning();
      if (notes.length === 0) return (await update)[0];
      if (patch.updatedAt === undefined) throw new Error('an update with notes needs updatedAt, their time');
      const [rows] = await db.batch([update, ...notesAfterWrite(id, patch.updatedAt, notes)]);
      return rows[0];
    },
    /** Marks every workspace of a gone node `unreachable`, remembering each one's status. Returns how many. */
    async markUnreachable(nodeId: string, now: number): Promise<number> {
      const r = await db.run(sql`UPDATE ${workspaces}
        SET status_before_unreachable = status, status = 'unreachable', updated_at = ${now}
        WHERE node_id = ${nodeId} AND status != 'unreachable'`);
      return r.rowsAffected;
    },
    /** Gives a returning node's workspaces back the status they had before it went away. */
    async restoreReachable(nodeId: string, now: number): Promise<number> {
      const r = await db.run(sql`UPDATE ${workspaces}
        SET status = status_before_unreachable, status_before_unreachable = NULL, updated_at = ${now}
        WHERE node_id = ${nodeId} AND status = 'unreachable' AND status_before_unreachable IS NOT NULL`);
      return r.rowsAffected;
    },
    async remove(id: string): Promise<void> {
      await db.delete(workspaces).where(eq(workspaces.id, id));
    },
  };
}
