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
      if (delayMs) await Bun.sleep(delayMs);
      return Response.json({ ok: true });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    pushes,
    delay: (ms) => {
      delayMs = ms;
    },
    stop: () => server.stop(true),
  };
}
