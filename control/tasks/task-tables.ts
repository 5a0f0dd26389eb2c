// The row type of the `tasks` table (schema: control/db/schema.ts and its migrations) and its decoding.
import type { Row } from '@libsql/client';
import type { TaskStatus } from '../../contract/index.ts';

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
  branch: string | null;
  commitSha: string | null;
  baseBranch: string | null;
  pullRequestUrl: string | null;
  pullRequestNumber: number | null;
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
    branch: str(r.branch),
    commitSha: str(r.commit_sha),
    baseBranch: str(r.base_branch),
    pullRequestUrl: str(r.pull_request_url),
    pullRequestNumber: num(r.pull_request_number),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    endedAt: num(r.ended_at),
  };
}
