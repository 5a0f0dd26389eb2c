// Tasks from submission to their end, with exactly one owner: idempotent submission by key, an atomic claim
// per dispatch (`UPDATE … WHERE status = 'queued' RETURNING`), follow-ups, cancel, and the node's report.
import { createHash } from 'node:crypto';
import type { Client } from '@libsql/client';
import { ftsQuery, newId, type TaskCreate, type TaskStatus } from '../../contract/index.ts';
import type { ActivityLog } from '../activity/index.ts';
import type { Clock } from '../clock.ts';
import { ControlError, notFound } from '../errors.ts';
import type { PullRequestRef } from '../github/index.ts';
import {
  type TaskActor,
  type TaskAgents,
  type TaskMessageRow,
  type TaskPlacement,
  TaskPlacementError,
  type TaskService,
  type TaskWhere,
  taskBranch,
} from './task-ports.ts';
import { type TaskRow, taskRow } from './task-tables.ts';
import { sourcesOf, TERMINAL_TASK_STATUSES } from './task-transitions.ts';

/** Statuses in which a task's agent runs on its node. */
const ACTIVE: readonly TaskStatus[] = ['running', 'needs_input'];
/** A task whose agent may be asking: running, or placed with its start on its way (a quick agent asks at once). */
const asking = (t: TaskRow) => ACTIVE.includes(t.status) || (t.status === 'placing' && t.nodeId !== null);

const requestHash = (input: TaskCreate) =>
  createHash('sha256').update(input.projectId).update('\0').update(input.prompt).digest('hex');

export function createTaskService(deps: {
  client: Client;
  clock: Clock;
  placement: TaskPlacement;
  agents: TaskAgents;
  activity?: ActivityLog;
  /** Opens and updates pull requests (GitHub configured); without it a pushed branch stays a branch. */
  pullRequests?: {
    publish(task: TaskRow, branch: string, base: string): Promise<PullRequestRef | undefined>;
  };
}): TaskService {
  const { client, clock } = deps;

  const load = async (id: string) => {
    const r = await client.execute({ sql: 'SELECT * FROM tasks WHERE id = ?', args: [id] });
    return r.rows[0] ? taskRow(r.rows[0]) : undefined;
  };
  const visible = async (actor: TaskActor, id: string) => {
    const t = await load(id);
    if (!t || (!actor.admin && t.ownerId !== actor.userId)) throw notFound('task');
    return t;
  };
  const note = async (t: TaskRow, type: string, message: string) => {
    if (deps.activity && t.workspaceId)
      await deps.activity.append({ workspaceId: t.workspaceId, kind: 'task', type, message });
  };

  /** Moves `id` to `to` only from a status the table allows (plus `extra` conditions); else 404/409. */
  const transition = async (
    id: string,
    to: TaskStatus,
    set: Record<string, string | number | null> = {},
    extra: { sql: string; args: (string | number)[] } = { sql: '', args: [] },
  ): Promise<TaskRow | undefined> => {
    const from = sourcesOf(to);
    const now = clock.now();
    const ended = to === 'completed' || to === 'failed' || to === 'cancelled';
    const fields = { ...set, status: to, updated_at: now, ...(ended ? { ended_at: now } : {}) };
    const r = await client.execute({
      sql: `UPDATE tasks SET ${Object.keys(fields)
        .map((k) => `${k} = ?`)
        .join(', ')}
            WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})${extra.sql} RETURNING *`,
      args: [...Object.values(fields), id, ...from, ...extra.args],
    });
    return r.rows[0] ? taskRow(r.rows[0]) : undefined;
  };
  const illegal = (t: TaskRow, to: TaskStatus) =>
    new ControlError('illegal_transition', `a task that is ${t.status} cannot become ${to}`, {
      from: t.status,
      to,
    });

  const deliverPending = async (t: TaskRow) => {
    const r = await client.execute({
      sql: 'SELECT id, text FROM task_messages WHERE task_id = ? AND delivered_at IS NULL ORDER BY created_at, rowid',
      args: [t.id],
    });
    for (const m of r.rows) {
      await deps.agents.send(t, String(m.text));
      await client.execute({
        sql: 'UPDATE task_messages SET delivered_at = ? WHERE id = ?',
        args: [clock.now(), String(m.id)],
      });
    }
  };

  /**
   * What a start sends: the task's prompt the first time; for a task reopened by a follow-up, that follow-up
   * (marked delivered once the start went through, by `delivered`).
   */
  const openingPrompt = async (t: TaskRow): Promise<{ text: string; messageId?: string }> => {
    if (t.agentSessionId === null) return { text: t.prompt };
    const r = await client.execute({
      sql: 'SELECT id, text FROM task_messages WHERE task_id = ? AND delivered_at IS NULL ORDER BY created_at, rowid LIMIT 1',
      args: [t.id],
    });
    const m = r.rows[0];
    return m ? { text: String(m.text), messageId: String(m.id) } : { text: t.prompt };
  };
  const delivered = async (messageId: string | undefined) => {
    if (messageId)
      await client.execute({
        sql: 'UPDATE task_messages SET delivered_at = ? WHERE id = ?',
        args: [clock.now(), messageId],
      });
  };

  /** The task's pull request, opened or updated; a refusal is noted in its workspace's log, never fails the end. */
  const publish = async (t: TaskRow, branch: string, base: string | null) => {
    if (!deps.pullRequests) return undefined;
    try {
      const pr = await deps.pullRequests.publish(t, branch, base ?? 'main');
      if (pr)
        await note(
          t,
          'task.pull_request',
          `pull request ${t.pullRequestNumber === null ? 'opened' : 'updated'}: ${pr.url}`,
        );
      return pr;
    } catch (e) {
      await note(
        t,
        'task.pull_request_failed',
        `the pull request for ${branch} failed: ${(e as Error).message}`,
      );
      return undefined;
    }
  };

  const fail = async (id: string, dispatchId: string, code: string, message: string) =>
    transition(
      id,
      'failed',
      { outcome: JSON.stringify({ error: { code, message } }) },
      { sql: ' AND dispatch_id = ?', args: [dispatchId] },
    );

  return {
    async submit(actor, input) {
      const hash = requestHash(input);
      const now = clock.now();
      const r = await client.execute({
        sql: `INSERT INTO tasks (id, project_id, owner_id, prompt, status, idempotency_key, request_hash, created_at, updated_at)
              VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)
              ON CONFLICT (owner_id, idempotency_key) DO NOTHING RETURNING *`,
        args: [
          newId('task'),
          input.projectId,
          actor.userId,
          input.prompt,
          input.idempotencyKey ?? null,
          hash,
          now,
          now,
        ],
      });
      if (r.rows[0]) return { task: taskRow(r.rows[0]), created: true };
      const existing = await client.execute({
        sql: 'SELECT * FROM tasks WHERE owner_id = ? AND idempotency_key = ?',
        args: [actor.userId, input.idempotencyKey ?? ''],
      });
      const row = existing.rows[0];
      if (!row) throw new Error('idempotent insert found neither a new nor an existing task');
      const task = taskRow(row);
      if (task.requestHash !== hash)
        throw new ControlError('conflict', 'this idempotency key was used for a different task');
      return { task, created: false };
    },

    get: visible,

    async list(actor, options = {}) {
      const where = actor.admin ? [] : ['t.owner_id = ?'];
      const args: string[] = actor.admin ? [] : [actor.userId];
      let from = 'tasks t';
      if (options.q !== undefined) {
        const match = ftsQuery(options.q);
        if (match === undefined) return [];
        from = 'task_search s JOIN tasks t ON t.rowid = s.rowid';
        where.push('task_search MATCH ?');
        args.push(match);
      }
      if (options.status !== undefined) {
        where.push('t.status = ?');
        args.push(options.status);
      }
      const r = await client.execute({
        sql: `SELECT t.* FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
              ORDER BY t.created_at DESC, t.rowid DESC LIMIT 500`,
        args,
      });
      return r.rows.map(taskRow);
    },

    async dispatch(id) {
      const dispatchId = crypto.randomUUID();
      const claimed = await transition(id, 'placing', { dispatch_id: dispatchId });
      if (!claimed) {
        const t = await load(id);
        if (!t) throw notFound('task');
        return { task: t, started: false };
      }
      let where: TaskWhere;
      try {
        where = await deps.placement.place(claimed);
      } catch (e) {
        const retry = e instanceof TaskPlacementError && e.retryable;
        const back = retry
          ? await transition(
              id,
              'queued',
              { dispatch_id: null },
              { sql: ' AND dispatch_id = ?', args: [dispatchId] },
            )
          : await fail(id, dispatchId, 'placement_failed', (e as Error).message);
        return { task: back ?? ((await load(id)) as TaskRow), started: false };
      }
      // Reserve the workspace: the unique index lets one placing or running task hold it.
      try {
        await client.execute({
          sql: `UPDATE tasks SET workspace_id = ?, node_id = ?, updated_at = ?
                WHERE id = ? AND status = 'placing' AND dispatch_id = ?`,
          args: [where.workspaceId, where.nodeId, clock.now(), id, dispatchId],
        });
      } catch {
        const back = await transition(
          id,
          'queued',
          { dispatch_id: null, workspace_id: null, node_id: null },
          { sql: ' AND dispatch_id = ?', args: [dispatchId] },
        );
        return { task: back ?? ((await load(id)) as TaskRow), started: false };
      }
      let agentSessionId: string;
      const opening = await openingPrompt(claimed);
      try {
        ({ agentSessionId } = await deps.agents.start({ ...claimed, ...where }, where, opening.text));
        await delivered(opening.messageId);
      } catch (e) {
        const failed = await fail(id, dispatchId, 'agent_start_failed', (e as Error).message);
        return { task: failed ?? ((await load(id)) as TaskRow), started: false };
      }
      const running = await transition(
        id,
        'running',
        { workspace_id: where.workspaceId, node_id: where.nodeId, agent_session_id: agentSessionId },
        { sql: ' AND dispatch_id = ?', args: [dispatchId] },
      );
      if (!running) {
        const t = (await load(id)) as TaskRow;
        // Its node already reported the end (a short turn outran this dispatcher): the task ran and is done.
        if ((t.status === 'completed' || t.status === 'failed') && t.nodeId === where.nodeId) {
          await client.execute({
            sql: 'UPDATE tasks SET agent_session_id = ? WHERE id = ? AND agent_session_id IS NULL',
            args: [agentSessionId, id],
          });
          return { task: (await load(id)) as TaskRow, started: true };
        }
        // Cancelled while it was being placed: undo the start so no agent runs for it.
        await deps.agents.stop({ ...t, ...where, agentSessionId });
        return { task: t, started: false };
      }
      await note(running, 'task.running', `task ${id} started`);
      await deliverPending(running);
      return { task: running, started: true };
    },

    async recover(id, staleMs) {
      const dispatchId = crypto.randomUUID();
      const r = await client.execute({
        sql: `UPDATE tasks SET dispatch_id = ?, updated_at = ?
              WHERE id = ? AND status = 'placing' AND updated_at < ? RETURNING *`,
        args: [dispatchId, clock.now(), id, clock.now() - staleMs],
      });
      const claimed = r.rows[0] ? taskRow(r.rows[0]) : undefined;
      if (!claimed) return { task: await load(id), started: false };
      const mine = { sql: ' AND dispatch_id = ?', args: [dispatchId] };
      if (!claimed.workspaceId || !claimed.nodeId) {
        const back = await transition(
          id,
          'queued',
          { dispatch_id: null, workspace_id: null, node_id: null },
          mine,
        );
        return { task: back ?? (await load(id)), started: false };
      }
      const where = { workspaceId: claimed.workspaceId, nodeId: claimed.nodeId };
      let agentSessionId: string;
      const opening = await openingPrompt(claimed);
      try {
        ({ agentSessionId } = await deps.agents.start(claimed, where, opening.text));
        await delivered(opening.messageId);
      } catch (e) {
        const failed = await fail(id, dispatchId, 'agent_start_failed', (e as Error).message);
        return { task: failed ?? (await load(id)), started: false };
      }
      const running = await transition(id, 'running', { agent_session_id: agentSessionId }, mine);
      if (!running) return { task: await load(id), started: false };
      await note(running, 'task.running', `task ${id} started (recovered)`);
      await deliverPending(running);
      return { task: running, started: true };
    },

    async message(actor, id, text) {
      const t = await visible(actor, id);
      const reopens = (t.status === 'completed' || t.status === 'failed') && t.agentSessionId !== null;
      if (t.status === 'cancelled' || ((t.status === 'completed' || t.status === 'failed') && !reopens))
        throw new ControlError('illegal_transition', `a task that is ${t.status} takes no more messages`, {
          status: t.status,
        });
      const m: TaskMessageRow = {
        id: crypto.randomUUID(),
        taskId: id,
        text,
        createdAt: clock.now(),
        deliveredAt: null,
      };
      await client.execute({
        sql: 'INSERT INTO task_messages (id, task_id, text, created_at) VALUES (?, ?, ?, ?)',
        args: [m.id, id, text, m.createdAt],
      });
      if (reopens) {
        // Queued again, with the message waiting: the next dispatch starts the turn with it.
        const back = await transition(
          id,
          'queued',
          { dispatch_id: null, ended_at: null, outcome: null },
          { sql: ` AND status = ?`, args: [t.status] },
        );
        if (!back) throw illegal((await load(id)) ?? t, 'queued');
        await note(back, 'task.reopened', `task ${id} continues with a follow-up`);
      } else if (ACTIVE.includes(t.status)) {
        await deps.agents.send(t, text);
        m.deliveredAt = clock.now();
        await client.execute({
          sql: 'UPDATE task_messages SET delivered_at = ? WHERE id = ?',
          args: [m.deliveredAt, m.id],
        });
      }
      return m;
    },

    async messages(actor, id) {
      await visible(actor, id);
      const r = await client.execute({
        sql: 'SELECT * FROM task_messages WHERE task_id = ? ORDER BY created_at, rowid',
        args: [id],
      });
      return r.rows.map((m) => ({
        id: String(m.id),
        taskId: String(m.task_id),
        text: String(m.text),
        createdAt: Number(m.created_at),
        deliveredAt: m.delivered_at === null ? null : Number(m.delivered_at),
      }));
    },

    async cancel(actor, id) {
      const t = await visible(actor, id);
      const cancelled = await transition(id, 'cancelled', {
        outcome: JSON.stringify({ stopReason: 'cancelled' }),
      });
      if (!cancelled) throw illegal((await load(id)) ?? t, 'cancelled');
      if (ACTIVE.includes(t.status) || cancelled.agentSessionId) await deps.agents.stop(cancelled);
      await note(cancelled, 'task.cancelled', `task ${id} cancelled`);
      return cancelled;
    },

    async nodeOf(id) {
      return (await load(id))?.nodeId ?? undefined;
    },

    async report(nodeId, id, report) {
      const t = await load(id);
      if (!t || t.nodeId !== nodeId) throw notFound('task');
      // The node pushes one branch per task; a pull request for any other branch (say, one a workspace's code
      // pushed to look like a task's) is never opened on the node's word.
      if (report.git && report.git.branch !== taskBranch(id))
        throw new ControlError('invalid_request', `a task's changes are on ${taskBranch(id)} only`, {
          field: 'git.branch',
        });
      const set: Record<string, string | number | null> = {
        outcome: JSON.stringify(report.outcome),
        summary: report.summary ?? null,
      };
      if (report.git && (ACTIVE.includes(t.status) || t.status === 'placing')) {
        const base = t.baseBranch ?? report.git.base ?? null;
        Object.assign(set, { branch: report.git.branch, commit_sha: report.git.commit, base_branch: base });
        const pr = await publish({ ...t, summary: report.summary ?? null }, report.git.branch, base);
        if (pr) Object.assign(set, { pull_request_url: pr.url, pull_request_number: pr.number });
      }
      const done = await transition(id, report.status, set, { sql: ' AND node_id = ?', args: [nodeId] });
      if (!done) {
        const now = (await load(id)) as TaskRow;
        // The same report again (a retry) is answered with the task as it is.
        if (now.status === report.status) return now;
        throw illegal(now, report.status);
      }
      await note(done, `task.${report.status}`, `task ${id} ${report.status}`);
      return done;
    },

    async needsInput(nodeId, id, needsInput) {
      const t = await load(id);
      if (!t || t.nodeId !== nodeId) throw notFound('task');
      const to: TaskStatus = needsInput ? 'needs_input' : 'running';
      if (t.status === to) return t;
      const moved = await transition(id, to, {}, { sql: ' AND node_id = ?', args: [nodeId] });
      if (!moved) throw illegal((await load(id)) ?? t, to);
      await note(
        moved,
        `task.${to}`,
        needsInput ? `task ${id} waits for an answer to a permission request` : `task ${id} running again`,
      );
      return moved;
    },

    async permissions(actor, id) {
      const t = await visible(actor, id);
      return asking(t) ? deps.agents.permissions(t) : [];
    },

    async answer(actor, id, requestId, optionId) {
      const t = await visible(actor, id);
      // An ended task's requests were all answered or withdrawn with its last turn.
      if (TERMINAL_TASK_STATUSES.includes(t.status))
        throw new ControlError('conflict', `a task that is ${t.status} takes no answers`, {
          status: t.status,
        });
      if (!asking(t)) throw notFound('permission request');
      return deps.agents.answer(t, requestId, optionId);
    },
  };
}
