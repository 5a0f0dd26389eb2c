// A real HTTP listener standing in for a node's /_node/workspaces endpoint: records the pushes it receives, and
// takes task calls (start, follow-up, cancel) as a node whose agent accepts them.
import type { WorkspaceAssignment } from '../../contract/index.ts';

export interface RecordedPush {
  workspaceId: string;
  authorization: string | null;
  assignment: WorkspaceAssignment;
}

export interface PushRecorder {
  url: string;
  pushes: RecordedPush[];
  /** Task calls received: `start`, `message` or `cancel`, with the workspace and task. */
  taskCalls: { call: 'start' | 'message' | 'cancel'; workspaceId: string; taskId: string }[];
  /** Makes the recorder answer after `ms` (a slow node). */
  delay(ms: number): void;
  stop(): Promise<void>;
}

export function startPushRecorder(): PushRecorder {
  const pushes: RecordedPush[] = [];
  const taskCalls: PushRecorder['taskCalls'] = [];
  let delayMs = 0;
  // Slow answers are parked here so stop() can release them: a handler left sleeping past the test
  // keeps the event loop polling on its timer and slows every later test file in the process.
  const parked = new Set<() => void>();
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const t = /^\/_node\/workspaces\/([^/]+)\/agent\/tasks(?:\/([^/]+)\/(messages|cancel))?$/.exec(path);
      if (t && req.method === 'POST') {
        const body = (await req.json().catch(() => ({}))) as { taskId?: string };
        const call = t[3] === 'messages' ? 'message' : t[3] === 'cancel' ? 'cancel' : 'start';
        taskCalls.push({ call, workspaceId: t[1] ?? '', taskId: t[2] ?? body.taskId ?? '' });
        return Response.json(call === 'start' ? { agentSessionId: `session-${t[1]}` } : {});
      }
      const m = /^\/_node\/workspaces\/([^/]+)$/.exec(path);
      if (!m || req.method !== 'PUT') return new Response('not found', { status: 404 });
      pushes.push({
        workspaceId: m[1] ?? '',
        authorization: req.headers.get('authorization'),
        assignment: (await req.json()) as WorkspaceAssignment,
      });
      if (delayMs)
        await new Promise<void>((resolve) => {
          const release = () => {
            clearTimeout(timer);
            parked.delete(release);
            resolve();
          };
          const timer = setTimeout(release, delayMs);
          parked.add(release);
        });
      return Response.json({ ok: true });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    pushes,
    taskCalls,
    delay: (ms) => {
      delayMs = ms;
    },
    stop: async () => {
      for (const release of [...parked]) release();
      await server.stop(true);
    },
  };
}
