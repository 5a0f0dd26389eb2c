// Every status union of Warren, in one place: the database, the API and the mesh use these.
import * as v from 'valibot';

/**
 * Observed lifecycle of a workspace. `unreachable`: its node is gone, so it is not known to run. `degraded`: it
 * runs (app, terminal) but its agent failed; the status reason says why.
 */
export const WORKSPACE_STATUSES = [
  'pending',
  'starting',
  'running',
  'degraded',
  'stopping',
  'stopped',
  'error',
  'unreachable',
  'deleting',
] as const;
export const WorkspaceStatus = v.picklist(WORKSPACE_STATUSES);
export type WorkspaceStatus = v.InferOutput<typeof WorkspaceStatus>;

/** What the user asked for; nodes reconcile toward it. */
export const DESIRED_STATES = ['running', 'stopped', 'deleted'] as const;
export const DesiredState = v.picklist(DESIRED_STATES);
export type DesiredState = v.InferOutput<typeof DesiredState>;

/**
 * Node liveness as people see it: a laptop with its lid closed is `awaiting_agent`
 * (re-registrable), not `offline`; `suspect` and `partitioned` come from peers' view in the mesh.
 */
export const NODE_STATUSES = [
  'online',
  'degraded',
  'suspect',
  'partitioned',
  'offline',
  'awaiting_agent',
] as const;
export const NodeStatus = v.picklist(NODE_STATUSES);
export type NodeStatus = v.InferOutput<typeof NodeStatus>;

/**
 * How a node keeps its workspaces apart from itself and from each other; the node reports it on join and on
 * every heartbeat, and the UI shows it on each node.
 */
export const NODE_ISOLATIONS = [
  /**
   * Each workspace in its own sandbox (a node that runs as root): its own uid, user/pid/mount namespaces,
   * cgroup limits and its own network namespace.
   */
  'sandbox',
  /**
   * A node that is not root (a laptop): user/pid/mount namespaces and cgroup limits where available, but the
   * workspaces share the host's network (its loopback services included) and run under the node's uid.
   */
  'sandbox-shared-network',
  /** No isolation (`--runtime process`, e.g. macOS): workspaces run as the node's user, see the machine. */
  'process',
] as const;
export const NodeIsolation = v.picklist(NODE_ISOLATIONS);
export type NodeIsolation = v.InferOutput<typeof NodeIsolation>;

/** SWIM member states. */
export const MEMBER_STATES = ['alive', 'suspect', 'dead', 'left'] as const;
export const MemberState = v.picklist(MEMBER_STATES);
export type MemberState = v.InferOutput<typeof MemberState>;

/**
 * A task's life: queued → placing → running → completed / failed / cancelled. `needs_input`: running, but its
 * agent has waited on a person's answer to a permission request for longer than the node's threshold; it is
 * `running` again once answered.
 */
export const TASK_STATUSES = [
  'queued',
  'placing',
  'running',
  'needs_input',
  'completed',
  'failed',
  'cancelled',
] as const;
export const TaskStatus = v.picklist(TASK_STATUSES);
export type TaskStatus = v.InferOutput<typeof TaskStatus>;

/**
 * Whether a user may sign in: `pending` users came in through GitHub on an instance that requires
 * admin approval, and hold no credentials until an admin approves them.
 */
export const USER_STATUSES = ['active', 'pending'] as const;
export const UserStatus = v.picklist(USER_STATUSES);
export type UserStatus = v.InferOutput<typeof UserStatus>;

export const ROLES = ['admin', 'member'] as const;
export const Role = v.picklist(ROLES);
export type Role = v.InferOutput<typeof Role>;

/**
 * Scopes a workspace access token can carry. `ports`: a TCP tunnel to a port of the workspace
 * (`/w/{id}/_port/{port}`), limited to the token's `ports` claim. `logs`: the workspace's output (`/w/{id}/_logs`).
 */
export const WORKSPACE_SCOPES = ['http', 'terminal', 'agent', 'logs', 'ports'] as const;
export const WorkspaceScope = v.picklist(WORKSPACE_SCOPES);
export type WorkspaceScope = v.InferOutput<typeof WorkspaceScope>;

/** Scopes an API token can carry: read < write < admin. */
export const API_SCOPES = ['read', 'write', 'admin'] as const;
export const ApiScope = v.picklist(API_SCOPES);
export type ApiScope = v.InferOutput<typeof ApiScope>;
