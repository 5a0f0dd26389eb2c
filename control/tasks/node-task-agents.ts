// TaskAgents over HTTP: the control plane asks the hosting node's agent bridge to start, follow up and stop a
// task, and to list and answer its permission requests (`/_node/workspaces/{id}/agent/tasks…`), with the same
// control command token as every node push.
import * as v from 'valibot';
import {
  AgentPermissionRequest,
  ERROR_STATUS,
  type ErrorCode,
  NodeTaskStarted,
  PermissionAnswered,
} from '../../contract/index.ts';
import type { Store } from '../db/index.ts';
import { ControlError } from '../errors.ts';
import type { Log } from '../log.ts';
import type { NodePush } from '../workspaces/index.ts';
import type { TaskAgents } from './task-ports.ts';

export interface NodeTaskAgentsOptions {
  store: Store;
  push: NodePush;
  log: Log;
  /** 10 s: a node answers a task call once the prompt is recorded, never after the turn. */
  timeoutMs?: number;
}

const messageOf = (body: unknown) => {
  const m = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof m === 'string' ? m.slice(0, 200) : 'no error message';
};

/** Builds the TaskAgents that reach nodes over HTTP. */
export function createNodeTaskAgents(options: NodeTaskAgentsOptions): TaskAgents {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const call = async (
    nodeId: string | null,
    path: string,
    body?: unknown,
    method: 'GET' | 'POST' = 'POST',
  ) => {
    const node = nodeId ? await options.store.nodes.get(nodeId) : undefined;
    if (!node) throw new ControlError('unavailable', 'the task has no hosting node');
    try {
      return await options.push.command(node, method, path, body, timeoutMs);
    } catch (e) {
      throw new ControlError('unavailable', `the hosting node did not answer (${(e as Error).name})`);
    }
  };
  const base = (workspaceId: string | null, taskId: string) =>
    `/_node/workspaces/${workspaceId}/agent/tasks/${taskId}`;

  return {
    async start(task, where, prompt) {
      const r = await call(where.nodeId, `/_node/workspaces/${where.workspaceId}/agent/tasks`, {
        taskId: task.id,
        prompt,
      });
      const started = v.safeParse(NodeTaskStarted, r.body);
      if (r.status !== 200 || !started.success)
        throw new Error(`the node refused the task (${r.status}: ${messageOf(r.body)})`);
      return started.output;
    },
    async send(task, text) {
      const r = await call(task.nodeId, `${base(task.workspaceId, task.id)}/messages`, { text });
      if (r.status === 409)
        throw new ControlError(
          'illegal_transition',
          'the task has ended on its node; it takes no more messages',
        );
      if (r.status !== 200)
        throw new ControlError(
          'unavailable',
          `the node refused the message (${r.status}: ${messageOf(r.body)})`,
        );
    },
    async permissions(task) {
      const r = await call(task.nodeId, `${base(task.workspaceId, task.id)}/permissions`, undefined, 'GET');
      const items = v.safeParse(v.object({ items: v.array(AgentPermissionRequest) }), r.body);
      // A node that no longer runs the task has nothing waiting for it.
      if (r.status === 404 || r.status === 409) return [];
      if (r.status !== 200 || !items.success)
        throw new ControlError('unavailable', `the node did not list the requests (${r.status})`);
      return items.output.items;
    },
    async answer(task, requestId, optionId) {
      const r = await call(
        task.nodeId,
        `${base(task.workspaceId, task.id)}/permissions/${encodeURIComponent(requestId)}`,
        { optionId },
      );
      const answered = v.safeParse(PermissionAnswered, r.body);
      if (r.status === 200 && answered.success) return answered.output;
      // The node's refusal keeps its code and message: they are about the caller's input, not the node.
      const code = (r.body as { error?: { code?: unknown } } | undefined)?.error?.code;
      if ([400, 404, 409].includes(r.status) && typeof code === 'string' && code in ERROR_STATUS)
        throw new ControlError(code as ErrorCode, messageOf(r.body));
      throw new ControlError('unavailable', `the node did not take the answer (${r.status})`);
    },
    async stop(task) {
      // The task is cancelled in the database already; a node that cannot be told now keeps no owner for it:
      // its report is refused (409), and its agent is stopped with the workspace.
      try {
        const r = await call(task.nodeId, `${base(task.workspaceId, task.id)}/cancel`);
        if (r.status !== 200 && r.status !== 404)
          options.log.warn('task cancel refused by node', { task: task.id, status: r.status });
      } catch (e) {
        options.log.warn('task cancel did not reach the node', {
          task: task.id,
          error: (e as Error).message,
        });
      }
    },
  };
}
