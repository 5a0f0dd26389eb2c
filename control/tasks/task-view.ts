// Task rows rendered as the contract's API shapes (times as ISO 8601).
import type { Task, TaskMessage, TaskOutcome } from '../../contract/index.ts';
import type { TaskMessageRow } from './task-ports.ts';
import type { TaskRow } from './task-tables.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function taskView(t: TaskRow): Task {
  return {
    id: t.id,
    projectId: t.projectId,
    ownerId: t.ownerId,
    prompt: t.prompt,
    status: t.status,
    idempotencyKey: t.idempotencyKey,
    workspaceId: t.workspaceId,
    nodeId: t.nodeId,
    agentSessionId: t.agentSessionId,
    outcome: t.outcome === null ? null : (JSON.parse(t.outcome) as TaskOutcome),
    summary: t.summary,
    branch: t.branch,
    commit: t.commitSha,
    pullRequestUrl: t.pullRequestUrl,
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
    endedAt: t.endedAt === null ? null : iso(t.endedAt),
  };
}

export function taskMessageView(m: TaskMessageRow): TaskMessage {
  return { id: m.id, taskId: m.taskId, text: m.text, createdAt: iso(m.createdAt) };
}
