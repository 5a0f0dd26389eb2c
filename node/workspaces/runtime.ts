// The Runtime interface: how a node runs a workspace (process runtime now; containers or VMs later).
import type {
  AgentState,
  WorkspaceAssignment,
  WorkspaceReport,
  WorkspaceStatus,
} from '../../contract/index.ts';
import type { IsolationKind, LaunchedProcess, PreparedWorkspace, SpawnRequest } from './isolation.ts';
import type { WorkspaceLogs } from './workspace-logs.ts';

/** What the proxy and terminal need to know about one workspace, looked up on every request. */
export interface WorkspaceTarget {
  readonly id: string;
  readonly status: WorkspaceStatus;
  readonly ownerId: string;
  /** Port of the app, when it has one. */
  readonly port: number | undefined;
  /** Address of the app: 127.0.0.1, or the workspace's own network namespace address. */
  readonly host: string;
  /** The workspace's own directory on the host. */
  readonly dir: string;
  /** The environment its processes get (workspace env on top of the node's base env). */
  readonly env: Record<string, string>;
}

/** Something that ends with the workspace: a terminal, an agent session. */
export type Attachment = () => void;

/** Runs workspaces. Every method is idempotent; status changes are announced through `onChange`. */
export interface Runtime {
  /** Creates the workspace's directory and starts its app command if any. `leftoverPgid` is from a previous node run. */
  start(spec: WorkspaceAssignment, leftoverPgid?: number): void;
  /** Knows the workspace without starting it (a restarted node with a stopped workspace). */
  register(spec: WorkspaceAssignment): void;
  /** Ends every process of the workspace; keeps its directory. */
  stop(id: string): Promise<void>;
  /** Ends every process and deletes the directory; the runtime forgets it, then announces `stopped`/`deleted`. */
  remove(id: string): Promise<void>;
  /** The workspace, for routing. */
  get(id: string): WorkspaceTarget | undefined;
  report(id: string): WorkspaceReport | undefined;
  reports(): WorkspaceReport[];
  /** Process group of the workspace's app, when one runs (persisted so leftovers can be ended after a crash). */
  processGroup(id: string): number | undefined;
  /** Ties something to the workspace's life: called when it stops or is removed. Returns a detach function. */
  attach(id: string, end: Attachment): () => void;
  onChange(listener: (report: WorkspaceReport) => void): void;
  /**
   * The one launcher for every other process of a running workspace (terminal shells, agents): it runs in the
   * workspace's sandbox with its environment (plus `env`), like the app. Throws when the workspace is not running.
   */
  spawn(id: string, request: Omit<SpawnRequest, 'env'> & { env?: Record<string, string> }): LaunchedProcess;
  /** How this runtime isolates workspaces. */
  readonly kind: IsolationKind;
  /** The output of every workspace's app and agent (`/w/{id}/_logs`). */
  readonly logs: WorkspaceLogs;
  /**
   * Marks a running workspace degraded (its agent failed) with the reason, or healthy again with undefined: it
   * keeps running and serving, but reports `degraded` so nobody reads it as fine.
   */
  degrade(id: string, reason: string | undefined): void;
  /** Records its agent's state, reported with the workspace (the control plane gives tasks to `ready` ones only). */
  agentState(id: string, state: AgentState): void;
  /** Stops every process (the node is shutting down); the specs stay with the caller. */
  shutdown(): Promise<void>;
}

/**
 * What the node adds to every run of a workspace, applied inside the runtime's one start pipeline so no way
 * of starting a workspace (placement, restore after a restart, crash restart, terminal) can skip it.
 */
export interface WorkspaceHooks {
  /**
   * Variables on top of the workspace's env (its git credential socket); `env` is what it has so far, `prepared`
   * where its socket folder is on the host and inside.
   */
  environment(
    workspaceId: string,
    env: Readonly<Record<string, string>>,
    prepared: PreparedWorkspace,
  ): Record<string, string>;
  /** The workspace stopped or was removed: what `environment` issued stops working. */
  ended(workspaceId: string): void;
}
