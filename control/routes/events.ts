// The live stream the UI follows: workspace, node and task changes as server-sent events, per caller's visibility.
import { Elysia } from 'elysia';
import type { LiveEvent, Node, Task, Workspace } from '../../contract/index.ts';
import type { UserPrincipal } from '../auth/index.ts';
import type { ControlDeps } from '../deps.ts';
import { taskView } from '../tasks/index.ts';
import { type ChangeMark, readChangeMark, workspacesWithActivityAfter } from './change-mark.ts';
import { userSecurity } from './responses.ts';
import { nodeView, workspaceView } from './views.ts';

export interface LiveFeedConfig {
  /** 5 s: a comment line keeps the stream under Bun's 10 s idle timeout and proxies' ones. */
  keepAliveMs: number;
  /**
   * 10 s (the heartbeat interval): how often the feed re-reads state with nobody asking. Every change made
   * through the API is pushed at once; this catches changes only time makes (a node missing heartbeats).
   */
  sweepMs: number;
  /**
   * 1 s: how often the feed reads the database's change mark, so writes another replica made (through the load
   * balancer) reach this replica's streams too, and activity appended anywhere is announced.
   */
  followMs: number;
}

/** Defaults for a control plane whose nodes heartbeat every `heartbeatIntervalMs`. */
export function defaultLiveFeedConfig(heartbeatIntervalMs: number): LiveFeedConfig {
  return { keepAliveMs: 5_000, sweepMs: heartbeatIntervalMs, followMs: 1_000 };
}

interface Subscriber {
  request: Request;
  send(chunk: string): void;
  close(): void;
  /** id → JSON last sent, to push only what changed. */
  workspaces: Map<string, string>;
  nodes: Map<string, string>;
  tasks: Map<string, string>;
}

/** Tasks a stream carries: the newest ones; older tasks are a page of the API away. */
const MAX_TASKS = 200;

/** Where nodes post a workspace's activity entries. */
const ACTIVITY_PATH = /^\/api\/v1\/workspaces\/([^/]+)\/activity$/;

/** 1 MiB of unread events: past this a stream is dropped rather than buffered without bound. */
const MAX_BEHIND_BYTES = 1024 * 1024;

const frame = (event: LiveEvent) => `data: ${JSON.stringify(event)}\n\n`;

/** `GET /api/v1/events` plus a global hook that refreshes every stream after each API write. */
export function eventRoutes(
  deps: ControlDeps,
  config = defaultLiveFeedConfig(deps.config.heartbeatIntervalMs),
) {
  const subscribers = new Set<Subscriber>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastKeepAlive = 0;
  let lastSweep = 0;
  let lastFollow = 0;
  let mark: ChangeMark | undefined;
  let following = false;
  let running: Promise<void> | undefined;
  let again = false;

  const state = async (p: UserPrincipal) => {
    const nodeRows = await deps.store.nodes.list();
    const addresses = new Map(nodeRows.map((n) => [n.id, n.address]));
    const workspaces: Workspace[] = (await deps.workspaces.list(p)).map((w) =>
      workspaceView(w, w.nodeId ? (addresses.get(w.nodeId) ?? null) : null),
    );
    const tasks: Task[] = (await deps.tasks.list({ userId: p.user.id, admin: p.role === 'admin' }))
      .slice(0, MAX_TASKS)
      .map(taskView);
    return { workspaces, nodes: nodeRows.map(nodeView), tasks };
  };

  const diff = <T extends { id: string }>(
    last: Map<string, string>,
    items: T[],
    upsert: (item: T) => LiveEvent,
    removed: (id: string) => LiveEvent,
  ) => {
    let out = '';
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(item.id);
      const json = JSON.stringify(item);
      if (last.get(item.id) === json) continue;
      last.set(item.id, json);
      out += frame(upsert(item));
    }
    for (const id of [...last.keys()]) {
      if (seen.has(id)) continue;
      last.delete(id);
      out += frame(removed(id));
    }
    return out;
  };

  const refreshOne = async (s: Subscriber) => {
    let p: UserPrincipal;
    try {
      // Re-check the caller every time: a signed-out session or revoked token ends its stream.
      p = await deps.auth.user(s.request, 'read');
    } catch {
      s.close();
      return;
    }
    const now = await state(p);
    const out =
      diff<Workspace>(
        s.workspaces,
        now.workspaces,
        (workspace) => ({ type: 'workspace', workspace }),
        (id) => ({ type: 'workspace_removed', id }),
      ) +
      diff<Node>(
        s.nodes,
        now.nodes,
        (node) => ({ type: 'node', node }),
        (id) => ({ type: 'node_removed', id }),
      ) +
      diff<Task>(
        s.tasks,
        now.tasks,
        (task) => ({ type: 'task', task }),
        (id) => ({ type: 'task_removed', id }),
      );
    if (out) s.send(out);
  };

  /** Coalesces bursts: at most one refresh runs, and one more follows if anything changed meanwhile. */
  const refresh = () => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        for (const s of [...subscribers]) {
          await refreshOne(s).catch((e) =>
            deps.log.error('live feed refresh failed', { message: (e as Error).message }),
          );
        }
      } while (again);
    })().finally(() => {
      running = undefined;
    });
  };

  /** Compares the database's change mark with the last one: refreshes on a change, announces new activity. */
  const follow = async () => {
    if (following) return;
    following = true;
    try {
      const next = await readChangeMark(deps.database.client);
      const before = mark;
      mark = next;
      if (!before) return;
      if (next.activityId > before.activityId)
        for (const id of await workspacesWithActivityAfter(deps.database.client, before.activityId))
          activityGrew(id);
      if (next.rows !== before.rows) refresh();
    } catch (e) {
      deps.log.error('live feed follow failed', { message: (e as Error).message });
    } finally {
      following = false;
    }
  };

  // Timers run on wall time (they pace the stream); what the state says comes from the store and its clock.
  const tick = () => {
    const now = Date.now();
    if (now - lastKeepAlive >= config.keepAliveMs) {
      lastKeepAlive = now;
      for (const s of subscribers) s.send(': keep-alive\n\n');
    }
    if (now - lastSweep >= config.sweepMs) {
      lastSweep = now;
      refresh();
    }
    if (now - lastFollow >= config.followMs) {
      lastFollow = now;
      void follow();
    }
  };

  const join = (s: Subscriber) => {
    subscribers.add(s);
    if (!timer) {
      lastKeepAlive = lastSweep = lastFollow = Date.now();
      // The mark from before the first stream: what changes after it is announced.
      mark = undefined;
      void follow();
      timer = setInterval(tick, Math.min(config.keepAliveMs, config.sweepMs, config.followMs));
      timer.unref?.();
    }
  };
  const leave = (s: Subscriber) => {
    subscribers.delete(s);
    if (subscribers.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  /** Tells the streams that may see the workspace that its activity log grew (a node posted to it). */
  const activityGrew = (workspaceId: string) => {
    const chunk = frame({ type: 'activity', workspaceId });
    for (const s of subscribers) if (s.workspaces.has(workspaceId)) s.send(chunk);
  };

  return new Elysia({ name: 'events' })
    .onAfterResponse({ as: 'global' }, ({ request, set }) => {
      if (subscribers.size === 0 || request.method === 'GET') return;
      const path = new URL(request.url).pathname;
      if (!path.startsWith('/api/v1/')) return;
      const activity = ACTIVITY_PATH.exec(path);
      const ok = set.status === undefined || set.status === 200;
      if (activity?.[1] && request.method === 'POST' && ok) activityGrew(activity[1]);
      refresh();
    })
    .get(
      '/api/v1/events',
      async ({ request }) => {
        const p = await deps.auth.user(request, 'read');
        const first = await state(p);
        const encoder = new TextEncoder();
        let subscriber: Subscriber | undefined;
        const stream = new ReadableStream<Uint8Array>(
          {
            start(controller) {
              const s: Subscriber = {
                request,
                workspaces: new Map(first.workspaces.map((w) => [w.id, JSON.stringify(w)])),
                nodes: new Map(first.nodes.map((n) => [n.id, JSON.stringify(n)])),
                tasks: new Map(first.tasks.map((t) => [t.id, JSON.stringify(t)])),
                send(chunk) {
                  // A client this far behind gets closed; it reconnects and starts over from a snapshot.
                  if ((controller.desiredSize ?? 0) < -MAX_BEHIND_BYTES) {
                    s.close();
                    return;
                  }
                  try {
                    controller.enqueue(encoder.encode(chunk));
                  } catch {
                    leave(s);
                  }
                },
                close() {
                  leave(s);
                  try {
                    controller.close();
                  } catch {}
                },
              };
              subscriber = s;
              controller.enqueue(encoder.encode(`retry: 2000\n\n${frame({ type: 'snapshot', ...first })}`));
              join(s);
            },
            cancel() {
              if (subscriber) leave(subscriber);
            },
          },
          new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
        );
        request.signal.addEventListener('abort', () => subscriber && leave(subscriber));
        return new Response(stream, {
          headers: {
            'content-type': 'text/event-stream',
            'cache-control': 'no-store',
            'x-accel-buffering': 'no',
          },
        });
      },
      {
        detail: {
          operationId: 'streamEvents',
          summary:
            'Server-sent events: a snapshot of visible workspaces and nodes, then each change (LiveEvent JSON)',
          tags: ['events'],
          security: userSecurity,
        },
      },
    );
}
