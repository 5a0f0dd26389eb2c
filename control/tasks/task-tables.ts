// The task tables on libSQL (the lead moves them into the drizzle schema) and the row type.
import type { Client, Row } from '@libsql/client';
import { TASK_STATUSES, type TaskStatus } from '../../contract/index.ts';

const statuses = TASK_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * `UNIQUE (owner_id, idempotency_key)`: the database, not a read-then-write, makes a second submission
 * with the same key find the first task. `dispatch_id`: the one dispatch that owns placement.
 * `tasks_one_per_workspace`: a workspace holds at most one placing or running task.
 */
export const TASK_SQL = [
  `CREATE TABLE IF NOT EXISTS tasks (
     id TEXT PRIMARY KEY,
     project_id TEXT NOT NULL,
     owner_id TEXT NOT NULL,
     prompt TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN (${statuses})),
     idempotency_key TEXT,
     request_hash TEXT NOT NULL,
     dispatch_id TEXT,
     workspace_id TEXT,
     node_id TEXT,
     agent_session_id TEXT,
     outcome TEXT,
     summary TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     ended_at INTEGER,
     UNIQUE (owner_id, idempotency_key)
   )`,
  'CREATE INDEX IF NOT EXISTS tasks_owner ON tasks (owner_id, created_at)',
  'CREATE INDEX IF NOT EXISTS tasks_status ON tasks (status)',
  // One task at a time per workspace (its one agent session): the database refuses a second holder.
  `CREATE UNIQUE INDEX IF NOT EXISTS tasks_one_per_workspace ON tasks (workspace_id)
     WHERE status IN ('placing', 'running')`,
  `CREATE TABLE IF NOT EXISTS task_messages (
     id TEXT PRIMARY KEY,
     task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
     text TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     delivered_at INTEGER
   )`,
  'CREATE INDEX IF NOT EXISTS task_messages_task ON task_messages (task_id, created_at)',
  `CREATE VIRTUAL TABLE IF NOT EXISTS task_search
     USING fts5(prompt, summary, content='tasks', content_rowid='rowid')`,
  `CREATE TRIGGER IF NOT EXISTS tasks_ai AFTER INSERT ON tasks BEGIN
     INSERT INTO task_search (rowid, prompt, summary) VALUES (new.rowid, new.prompt, new.summary);
   END`,
  `CREATE TRIGGER IF NOT EXISTS tasks_ad AFTER DELETE ON tasks BEGIN
     INSERT INTO task_search (task_search, rowid, prompt, summary) VALUES ('delete', old.rowid, old.prompt, old.summary);
   END`,
  `CREATE TRIGGER IF NOT EXISTS tasks_au AFTER UPDATE OF prompt, summary ON tasks BEGIN
     INSERT INTO task_search (task_search, rowid, prompt, summary) VALUES ('delete', old.rowid, old.prompt, old.summary);
     INSERT INTO task_search (rowid, prompt, summary) VALUES (new.rowid, new.prompt, new.summary);
   END`,
];

/** Creates the task tables if missing (no migration: see TASK_SQL). */
export async function setupTaskTables(client: Client): Promise<void> {
  await client.batch(TASK_SQL, 'write');
}

export interface TaskRow {
  id: string;
  projectId: string;
  ownerId: string;
  prompt: string;
  status: TaskStatus;
  idempotencyKey: string | null;
  requestHash: string;
  dispatchId: string | null;
  workspaceId: string | null;
  nodeId: string | null;
  agentSessionId: string | null;
  /** JSON of TaskOutcome. */
  outcome: string | null;
  summary: string | null;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
}

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function taskRow(r: Row): TaskRow {
  return {
    id: String(r.id),
    projectId: String(r.project_id),
    ownerId: String(r.owner_id),
    prompt: String(r.prompt),
    status: String(r.status) as TaskStatus,
    idempotencyKey: str(r.idempotency_key),
    requestHash: String(r.request_hash),
    dispatchId: str(r.dispatch_id),
    workspaceId: str(r.workspace_id),
    nodeId: str(r.node_id),
    agentSessionId: str(r.agent_session_id),
    outcome: str(r.outcome),
    summary: str(r.summary),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    endedAt: num(r.ended_at),
  };
}
