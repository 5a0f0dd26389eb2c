// The node's agent sessions, one per workspace that names an agent command, sharing one transcript store.
import { join } from 'node:path';
import type { AgentEvent } from '../../contract/index.ts';
import type { AgentCommand } from './agent-process.ts';
import { type AgentSession, createAgentSession, type SessionPermissions } from './agent-session.ts';
import { type AgentSupervisorConfig, defaultAgentSupervisorConfig } from './agent-supervisor.ts';
import { openTranscriptStore, TRANSCRIPT_DB_FILE, type TranscriptStore } from './transcript-store.ts';

export interface AgentHostOptions {
  /** The node's data dir; the transcripts live in `<dataDir>/agent-transcripts.db`. */
  dataDir: string;
  config?: AgentSupervisorConfig;
  /** Sees every transcript event of every workspace (activity log, task sync). */
  onEvent?(workspaceId: string, event: AgentEvent): void;
  /** Where each workspace's permission requests go; absent: refused. */
  permissions?(workspaceId: string): SessionPermissions;
}

export interface AgentHost {
  readonly store: TranscriptStore;
  /** The workspace's session, started with `command` if it has none yet. */
  ensure(workspaceId: string, command: AgentCommand): AgentSession;
  /** The workspace's session, if it runs one (what the agent WebSocket looks up). */
  get(workspaceId: string): AgentSession | undefined;
  /** Stops the workspace's agent (its process group) and forgets the session; the transcript stays. */
  remove(workspaceId: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens the transcript store and returns an empty host. */
export async function createAgentHost(options: AgentHostOptions): Promise<AgentHost> {
  const store = await openTranscriptStore(join(options.dataDir, TRANSCRIPT_DB_FILE));
  const config = options.config ?? defaultAgentSupervisorConfig();
  const sessions = new Map<string, AgentSession>();
  const host: AgentHost = {
    store,
    ensure(workspaceId, command) {
      let s = sessions.get(workspaceId);
      if (!s) {
        s = createAgentSession({
          sessionId: workspaceId,
          store,
          command,
          config,
          ...(options.onEvent ? { onEvent: (e: AgentEvent) => options.onEvent?.(workspaceId, e) } : {}),
          ...(options.permissions ? { permissions: options.permissions(workspaceId) } : {}),
        });
        sessions.set(workspaceId, s);
      }
      return s;
    },
    get: (workspaceId) => sessions.get(workspaceId),
    async remove(workspaceId) {
      const s = sessions.get(workspaceId);
      sessions.delete(workspaceId);
      await s?.close();
    },
    async close() {
      await Promise.all([...sessions.keys()].map((id) => host.remove(id)));
      store.close();
    },
  };
  return host;
}
