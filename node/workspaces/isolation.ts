// Isolation: how a workspace's processes are confined. Every process of a workspace is launched through it.
import type { Subprocess } from 'bun';

/**
 * How strongly a node isolates its workspaces:
 * - `sandbox`: own uid, user/pid/ipc/uts/mount namespaces, a cgroup, and a network namespace of its own;
 * - `sandbox-shared-network`: a node that is not root (a laptop): the namespaces and, where writable, cgroups,
 *   but the node's uid and the host's network;
 * - `process`: none; the workspace runs as the node's user and sees the machine.
 */
export type IsolationKind = 'sandbox' | 'sandbox-shared-network' | 'process';

/** Resource limits of one workspace (all its processes together). */
export interface WorkspaceLimits {
  memoryMb: number;
  pids: number;
  cpus: number;
}

/** A workspace made ready to run processes in. */
export interface PreparedWorkspace {
  /** Address the node reaches the app at: 127.0.0.1, or the address of the workspace's network namespace. */
  readonly host: string;
  /** HOME and working directory as the workspace's processes see it. */
  readonly home: string;
  /** Host folder for the workspace's sockets (git credentials); `runInside` is where its processes see it. */
  readonly runDir: string;
  readonly runInside: string;
}

/** One process to start in a workspace. */
export interface SpawnRequest {
  argv: string[];
  env: Record<string, string>;
  /** Names the launch (app, terminal, agent); a cgroup of its own under the workspace's. */
  purpose: 'app' | 'terminal' | 'agent' | 'git';
  stdin?: 'pipe' | 'ignore';
  stdout?: 'pipe' | 'ignore' | number;
  stderr?: 'pipe' | 'ignore' | number;
  /** A PTY instead of stdio (terminals). */
  terminal?: { cols: number; rows: number; data: (data: Uint8Array) => void };
}

/** A started process and everything it starts. */
export interface LaunchedProcess {
  readonly proc: Subprocess<'pipe' | 'ignore', 'pipe' | 'ignore' | number, 'pipe' | 'ignore' | number>;
  readonly pid: number;
  /** SIGTERM to every process of the launch, SIGKILL after `graceMs`; resolves when none is left. */
  end(graceMs: number): Promise<void>;
  /** Sends `signal` to every process of the launch. */
  signal(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/** Counters of limits a workspace ran into since it was prepared. */
export interface ResourcePressure {
  /** Processes the kernel killed because the workspace hit its memory limit. */
  oomKills: number;
  /** Times a fork failed because the workspace hit its process limit. */
  pidsDenied: number;
}

/** Confines workspaces. `prepare` before `spawn`; `release` when the workspace stops, `reconcile` at node start. */
export interface Isolation {
  readonly kind: IsolationKind;
  /** Sets up what the workspace runs in (uid, network, cgroup); idempotent. `dir` is its home on the host. */
  prepare(workspaceId: string, dir: string, limits: WorkspaceLimits): Promise<PreparedWorkspace>;
  /** The one way to start a process of a workspace (app, terminal shell, agent). */
  spawn(workspaceId: string, request: SpawnRequest): LaunchedProcess;
  pressure(workspaceId: string): ResourcePressure | undefined;
  /** Tears down what `prepare` made (network namespace, rules, cgroup); the home stays. */
  release(workspaceId: string): Promise<void>;
  /** At node start: removes whatever an earlier run of this node left (it may have crashed). */
  reconcile(): Promise<void>;
}
