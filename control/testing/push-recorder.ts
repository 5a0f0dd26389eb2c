// A real HTTP listener standing in for a node's /_node/workspaces endpoint: records the pushes it receives.
import type { WorkspaceAssignment } from '../../contract/index.ts';

export interface RecordedPush {
  workspaceId: string;
  authorization: string | null;
  assignment: WorkspaceAssignment;
}

export interface PushRecorder {
  url: string;
  pushes: RecordedPush[];
  /** Makes the recorder answer after `ms` (a slow node). */
  delay(ms: number): void;
  stop(): Promise<void>;
}

export function startPushRecorder(): PushRecorder {
  const pushes: RecordedPush[] = [];
  let delayMs = 0;
  // Slow answers are parked here so stop() can release them: a handler left sleeping past the test
  // keeps the event loop polling on its timer and slows every later test file in the process.
  const parked = new Set<() => void>();
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const m = /^\/_node\/workspaces\/([^/]+)$/.exec(new URL(req.url).pathname);
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
    delay: (ms) => {
      delayMs = ms;
    },
    stop: async () => {
      for (const release of [...parked]) release();
      await server.stop(true);
    },
  };
}
