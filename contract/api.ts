// Bodies and responses of the control plane API (`/api/v1`) and the node API (`/_node`).
import * as v from 'valibot';
import { AgentState, PermissionPolicy } from './agent.ts';
import { NodeId, ProjectId, TaskId, UserId, WorkspaceId } from './ids.ts';
import { Jwks, Revocation } from './jwks.ts';
import {
  ApiScope,
  DesiredState,
  MemberState,
  NodeIsolation,
  NodeStatus,
  Role,
  UserStatus,
  WorkspaceScope,
  WorkspaceStatus,
} from './status.ts';
import { Ed25519PublicJwk, WORKSPACE_TOKEN_TTL } from './tokens.ts';

const Name = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(64, 'must be at most 64 characters'),
  v.regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'may hold letters, digits, space, dot, dash and underscore'),
);
const Timestamp = v.string(); // ISO 8601
const Labels = v.pipe(
  v.record(v.pipe(v.string(), v.maxLength(63)), v.pipe(v.string(), v.maxLength(255))),
  v.check((r) => Object.keys(r).length <= 32, 'at most 32 labels'),
);
const HttpUrl = v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//, 'must be an http(s) URL'));

export const Health = v.object({ status: v.literal('ok'), version: v.string(), role: v.string() });
export type Health = v.InferOutput<typeof Health>;

// ---- users and auth ----
export const User = v.object({
  id: UserId,
  name: v.string(),
  email: v.nullable(v.string()),
  role: Role,
  status: UserStatus,
  /** The GitHub login the user signs in with; null for users without a linked GitHub account. */
  githubLogin: v.nullable(v.string()),
  createdAt: Timestamp,
  /** When an admin disabled the user (none of their credentials works until enabled); null when enabled. */
  disabledAt: v.optional(v.nullable(Timestamp), null),
});
export type User = v.InferOutput<typeof User>;

/** A fresh one-time sign-in link for an existing user (admin). */
export const UserLoginLink = v.object({ loginLink: v.string() });

/** Admin creates a user; the response carries a one-time login link and a first API token, once. */
export const UserCreate = v.object({
  name: Name,
  email: v.optional(v.pipe(v.string(), v.email('must be an email address'), v.maxLength(254))),
  role: v.optional(Role, 'member'),
});
export const UserCreated = v.object({ user: User, loginLink: v.string(), apiToken: v.string() });

export const LoginLinkRequest = v.object({ token: v.pipe(v.string(), v.minLength(1), v.maxLength(256)) });

export const ApiToken = v.object({
  id: v.string(),
  name: v.string(),
  scopes: v.array(ApiScope),
  createdAt: Timestamp,
  lastUsedAt: v.nullable(Timestamp),
  expiresAt: v.nullable(Timestamp),
  revokedAt: v.nullable(Timestamp),
});
export type ApiToken = v.InferOutput<typeof ApiToken>;

export const ApiTokenCreate = v.object({
  name: Name,
  scopes: v.optional(v.pipe(v.array(ApiScope), v.minLength(1)), ['read', 'write']),
  /** Lifetime in seconds; absent means no expiry. */
  ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(60), v.maxValue(366 * 86400))),
});
/** The secret is in the response once and never again. */
export const ApiTokenCreated = v.object({ ...ApiToken.entries, token: v.string() });

// ---- projects ----
// Project, ProjectCreate and ProjectUpdate are below WorkspaceResources: a project holds defaults for its workspaces.

// ---- nodes ----
export const Capacity = v.object({
  workspaces: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10_000)),
});
/** The DNS name under which a node serves each workspace's app on an origin of its own: `ws-{id}.{baseDomain}`. */
export const BaseDomain = v.pipe(
  v.string(),
  v.maxLength(253),
  v.regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a DNS name'),
);

export const Node = v.object({
  id: NodeId,
  name: v.string(),
  status: NodeStatus,
  address: v.string(),
  labels: v.record(v.string(), v.string()),
  capacity: Capacity,
  laptop: v.boolean(),
  workspaceCount: v.number(),
  lastHeartbeatAt: v.nullable(Timestamp),
  createdAt: Timestamp,
  load: v.nullable(v.object({ cpu: v.number(), memory: v.number() })),
  version: v.nullable(v.string()),
  /** How the node isolates its workspaces, as it last reported; null for a node that never reported it. */
  isolation: v.nullable(NodeIsolation),
  /** Since when the node is drained (no new workspaces or tasks go there; its own keep running); null: not. */
  drainedAt: v.nullable(Timestamp),
});
export type Node = v.InferOutput<typeof Node>;
/** `PATCH /api/v1/nodes/{id}` (admin): a new name, and/or drain (true) or undrain (false). */
export const NodeUpdate = v.object({
  name: v.optional(Name),
  drained: v.optional(v.boolean()),
});

export const JoinTokenCreate = v.object({
  ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(60), v.maxValue(30 * 86400)), 3600),
  laptop: v.optional(v.boolean(), false),
  labels: v.optional(Labels, {}),
});
export const JoinTokenCreated = v.object({
  id: v.string(),
  token: v.string(),
  expiresAt: Timestamp,
  /** The command to run on the machine that should join. */
  command: v.string(),
});

export const NodeJoinRequest = v.object({
  joinToken: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  name: Name,
  publicKey: Ed25519PublicJwk,
  address: HttpUrl,
  capacity: Capacity,
  labels: v.optional(Labels, {}),
  laptop: v.optional(v.boolean(), false),
  version: v.optional(v.pipe(v.string(), v.maxLength(64))),
  /** How this node isolates its workspaces; absent from nodes that predate the field (shown as unknown). */
  isolation: v.optional(NodeIsolation),
  /** `--base-domain`: browsers open this node's apps on `ws-{id}.{baseDomain}`; absent from older nodes. */
  baseDomain: v.optional(BaseDomain),
});
export type NodeJoinRequest = v.InferOutput<typeof NodeJoinRequest>;

export const NodeCertificate = v.object({ certificate: v.string(), expiresAt: Timestamp });

export const NodeJoined = v.object({
  nodeId: NodeId,
  /** The `iss` of every token the control plane signs; nodes check it. */
  issuer: v.string(),
  ...NodeCertificate.entries,
  /** How often the node should heartbeat; it adds jitter. */
  heartbeatIntervalMs: v.number(),
  jwks: Jwks,
  /** Mesh addresses (host:port) to join: the control plane's own member and a few live members. */
  meshSeeds: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(300))), v.maxLength(64))),
});
export type NodeJoined = v.InferOutput<typeof NodeJoined>;

/** What a node reports about one workspace it hosts. */
export const WorkspaceReport = v.object({
  id: WorkspaceId,
  status: WorkspaceStatus,
  reason: v.optional(v.pipe(v.string(), v.maxLength(1000))),
  port: v.optional(v.number()),
  /** The state of its agent, when it runs one: only a workspace whose agent is `ready` takes a task. */
  agentState: v.optional(AgentState),
});
export type WorkspaceReport = v.InferOutput<typeof WorkspaceReport>;

export const Heartbeat = v.object({
  workspaces: v.pipe(v.array(WorkspaceReport), v.maxLength(10_000)),
  load: v.optional(v.object({ cpu: v.number(), memory: v.number() })),
  /** Asks for a fresh node certificate (sent when the current one is past half its life). */
  renew: v.optional(v.boolean(), false),
  address: v.optional(HttpUrl),
  /** How this node isolates its workspaces now; absent keeps what the control plane last heard. */
  isolation: v.optional(NodeIsolation),
  /** The node's base domain now; absent keeps what the control plane last heard. */
  baseDomain: v.optional(BaseDomain),
});
export type Heartbeat = v.InferOutput<typeof Heartbeat>;

const integerIn = (min: number, max: number) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/**
 * Per-workspace limits for the workspace's sandbox (its cgroup); each field left out means the node's default.
 * Set at creation.
 */
export const WorkspaceResources = v.object({
  /** Memory limit in megabytes (MiB, 2^20 bytes) for all the workspace's processes together. */
  memoryMb: v.optional(integerIn(64, 262_144)),
  /** Maximum number of processes and threads the workspace may have at once. */
  pids: v.optional(integerIn(16, 1_000_000)),
  /** CPU time as a number of cores' worth (1.5 = one and a half cores), shared by all its processes. */
  cpus: v.optional(v.pipe(v.number(), v.minValue(0.1), v.maxValue(256))),
});
export type WorkspaceResources = v.InferOutput<typeof WorkspaceResources>;

/** A command line of an app or agent: one shell command. */
const Command = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));

/** A repository of a project, as bound through the GitHub App (`primary` first). */
export const ProjectRepositoryRef = v.object({
  repoId: v.number(),
  fullName: v.string(),
  role: v.picklist(['primary', 'additional']),
});

export const Project = v.object({
  id: ProjectId,
  name: v.string(),
  description: v.string(),
  ownerId: UserId,
  createdAt: Timestamp,
  /** What a new workspace of the project runs when its own request does not say (null: nothing). */
  appCommand: v.nullable(v.string()),
  agentCommand: v.nullable(v.string()),
  /** Sandbox limits a new workspace gets when its request sets none (`{}`: the node's defaults). */
  resources: WorkspaceResources,
  /** How its workspaces' agent permission requests are answered: `ask` a person, or `allow` at once. */
  agentPermissions: PermissionPolicy,
  /** Its GitHub repositories, primary first (empty without a GitHub binding). */
  repositories: v.array(ProjectRepositoryRef),
});
export type Project = v.InferOutput<typeof Project>;
export const ProjectCreate = v.object({
  name: Name,
  description: v.optional(v.pipe(v.string(), v.maxLength(1000)), ''),
  appCommand: v.optional(Command),
  agentCommand: v.optional(Command),
  resources: v.optional(WorkspaceResources),
  /** Default `ask`. */
  agentPermissions: v.optional(PermissionPolicy),
});
/** `PATCH /api/v1/projects/{id}`: each field given replaces the project's; null clears a default command. */
export const ProjectUpdate = v.object({
  name: v.optional(Name),
  description: v.optional(v.pipe(v.string(), v.maxLength(1000))),
  appCommand: v.optional(v.nullable(Command)),
  agentCommand: v.optional(v.nullable(Command)),
  resources: v.optional(WorkspaceResources),
  agentPermissions: v.optional(PermissionPolicy),
});
export type ProjectUpdate = v.InferOutput<typeof ProjectUpdate>;

/** A login shell: a command name or an absolute path, no arguments (the node adds `-l`). */
export const TerminalShell = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(256),
  v.regex(/^(\/[A-Za-z0-9._+-]+)+$|^[A-Za-z0-9._+-]+$/, 'must be a command name or an absolute path'),
  v.check((s) => !s.split('/').some((p) => p === '.' || p === '..'), 'must not have . or .. segments'),
);

/** The spec a node needs to run a workspace. */
/** A repository a workspace works on: its clone URL and the folder of the home it is cloned into. */
export const WorkspaceRepository = v.object({
  url: v.pipe(v.string(), v.maxLength(2000), v.regex(/^https?:\/\//, 'must be an http(s) URL')),
  dir: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a plain folder name'),
    v.check((d) => d !== '.' && d !== '..', 'must be a plain folder name'),
  ),
});
export type WorkspaceRepository = v.InferOutput<typeof WorkspaceRepository>;

export const WorkspaceAssignment = v.object({
  id: WorkspaceId,
  name: v.string(),
  projectId: ProjectId,
  ownerId: UserId,
  desiredState: DesiredState,
  appCommand: v.nullable(v.string()),
  env: v.record(v.string(), v.string()),
  /** The workspace's ACP agent (a shell command); absent or null: no agent, `/w/{id}/_agent` answers 4404. */
  agentCommand: v.optional(v.nullable(v.string())),
  /** Limits that override the node's defaults; absent or a field left out: the node's default. */
  resources: v.optional(WorkspaceResources),
  /** The terminal's login shell; absent or null: bash where the workspace has it, else sh. */
  shell: v.optional(v.nullable(v.string())),
  /** Grows with each retry: the node restarts a run whose generation changed even when nothing else did. */
  generation: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /** The project's permission policy; absent (an older control plane): `ask`, nothing approved by default. */
  agentPermissions: v.optional(PermissionPolicy),
  /**
   * The repository the node clones (with its submodules, through the workspace's credential socket) into `dir`
   * of the workspace's home before its agent starts; the agent then runs there. Set for task workspaces.
   */
  repository: v.optional(v.nullable(WorkspaceRepository)),
});
export type WorkspaceAssignment = v.InferOutput<typeof WorkspaceAssignment>;

export const HeartbeatAck = v.object({
  /** Every workspace placed on this node and what it should be; the node reconciles toward it. */
  workspaces: v.array(WorkspaceAssignment),
  revocations: v.array(Revocation),
  jwks: Jwks,
  certificate: v.optional(v.string()),
  certificateExpiresAt: v.optional(Timestamp),
  heartbeatIntervalMs: v.number(),
  /** Mesh addresses (host:port) to (re)join: the control plane's own member and a few live members. */
  meshSeeds: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(300))), v.maxLength(64))),
});
export type HeartbeatAck = v.InferOutput<typeof HeartbeatAck>;

// ---- workspaces ----
export const Workspace = v.object({
  id: WorkspaceId,
  name: v.string(),
  projectId: ProjectId,
  ownerId: UserId,
  nodeId: v.nullable(NodeId),
  status: WorkspaceStatus,
  desiredState: DesiredState,
  statusReason: v.nullable(v.string()),
  appCommand: v.nullable(v.string()),
  /** The ACP agent command the node runs for chat and tasks (`/w/{id}/_agent`). */
  agentCommand: v.nullable(v.string()),
  /** The limits set at creation or the last edit; `{}` when none were, so the node's defaults apply. */
  resources: WorkspaceResources,
  /** The terminal's login shell (a command name or absolute path); null: bash where present, else sh. */
  shell: v.nullable(v.string()),
  /** The names of its environment variables (their values may be secrets and are never shown again). */
  envNames: v.array(v.string()),
  /** Its agent's state as its node last reported it; null when it runs no agent or has not reported yet. */
  agentState: v.nullable(AgentState),
  /** The task this workspace was made for (it serves that task and its follow-ups only); null otherwise. */
  taskId: v.nullable(TaskId),
  /** Where the workspace's app is reached: `{nodeUrl}/w/{id}/`. */
  url: v.nullable(v.string()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Workspace = v.InferOutput<typeof Workspace>;

const EnvName = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment name'));
/** Most environment variables a workspace may have. */
export const ENV_MAX = 128;

export const WorkspaceCreate = v.object({
  name: Name,
  projectId: ProjectId,
  nodeId: v.optional(NodeId),
  appCommand: v.optional(Command),
  /** A shell command that speaks the Agent Client Protocol on stdio, run in the workspace's directory. */
  agentCommand: v.optional(Command),
  env: v.optional(
    v.pipe(
      v.record(EnvName, v.string()),
      v.check((r) => Object.keys(r).length <= ENV_MAX, `at most ${ENV_MAX} variables`),
    ),
    {},
  ),
  /** Limits for this workspace's sandbox; a field left out takes the node's default. */
  resources: v.optional(WorkspaceResources),
  /**
   * The login shell of its terminals: a command name (`zsh`) or an absolute path (`/usr/bin/fish`), started with
   * `-l`. Left out: bash where the workspace has it, else sh.
   */
  shell: v.optional(TerminalShell),
});
export type WorkspaceCreate = v.InferOutput<typeof WorkspaceCreate>;

/** `GET /api/v1/workspaces/{id}/app?path=`: the page of the app to land on (a path on its origin; else `/`). */
export const AppLinkQuery = v.object({ path: v.optional(v.pipe(v.string(), v.maxLength(8192))) });
/**
 * A change to a workspace (`PATCH /api/v1/workspaces/{id}`), validated like a create; fields left out stay as
 * they are. A running workspace restarts with the new commands, environment or limits; a rename alone does not
 * restart it.
 */
export const WorkspaceUpdate = v.pipe(
  v.object({
    name: v.optional(Name),
    /** null: no app (shell only). */
    appCommand: v.optional(v.nullable(Command)),
    /** null: no agent. */
    agentCommand: v.optional(v.nullable(Command)),
    /** Changes to the environment: a value sets the variable, null removes it; names left out stay. */
    env: v.optional(
      v.pipe(
        v.record(EnvName, v.nullable(v.string())),
        v.check((r) => Object.keys(r).length <= ENV_MAX, `at most ${ENV_MAX} variables`),
      ),
    ),
    /** Replaces the limits; `{}` goes back to the node's defaults. */
    resources: v.optional(WorkspaceResources),
  }),
  v.check((u) => Object.values(u).some((x) => x !== undefined), 'name at least one field to change'),
);
export type WorkspaceUpdate = v.InferOutput<typeof WorkspaceUpdate>;

export const WorkspaceTokenRequest = v.object({
  scopes: v.pipe(v.array(WorkspaceScope), v.minLength(1, 'name at least one scope')),
  ttlSeconds: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(WORKSPACE_TOKEN_TTL.min), v.maxValue(WORKSPACE_TOKEN_TTL.max)),
    WORKSPACE_TOKEN_TTL.default,
  ),
  ports: v.optional(
    v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))), v.maxLength(16)),
  ),
});
export type WorkspaceTokenRequest = v.InferOutput<typeof WorkspaceTokenRequest>;

export const WorkspaceToken = v.object({
  token: v.string(),
  expiresAt: Timestamp,
  workspaceId: WorkspaceId,
  nodeId: v.nullable(NodeId),
  /** The hosting node's address, where the token is used. */
  nodeUrl: v.nullable(v.string()),
  /**
   * Where a browser opens the app, on an origin of its own: `{scheme}://ws-{id}.{base domain}[:port]` of the
   * hosting node (exchange the token at `{appUrl}/_auth?token=` for the app's cookie). Null until the workspace
   * is placed, or when its node has not said its base domain.
   */
  appUrl: v.nullable(v.string()),
  scopes: v.array(WorkspaceScope),
});
export type WorkspaceToken = v.InferOutput<typeof WorkspaceToken>;

// ---- signing keys ----
/** A rotation: the new key is in the JWKS from `publishedAt` and signs from `activatesAt`. */
export const KeyRotation = v.object({ kid: v.string(), publishedAt: Timestamp, activatesAt: Timestamp });

// ---- revocations ----
export const RevocationCreate = v.object({
  subject: Revocation.entries.subject,
});
export const RevocationList = v.object({ revocations: v.array(Revocation) });

// ---- node API (`/_node/*`, authenticated by a control command token) ----
export const NodeInfo = v.object({
  nodeId: v.nullable(NodeId),
  name: v.string(),
  address: v.string(),
  version: v.string(),
  laptop: v.boolean(),
  capacity: Capacity,
  workspaces: v.number(),
});
export type NodeInfo = v.InferOutput<typeof NodeInfo>;

export const IdParams = v.object({ id: v.pipe(v.string(), v.maxLength(64)) });

export function list<T extends v.GenericSchema>(item: T) {
  return v.object({ items: v.array(item) });
}

/** One mesh member as the control plane's member sees it (`name`/`proxyUrl` from its member entry, when held). */
export const MeshMemberView = v.object({
  id: v.string(),
  name: v.nullable(v.string()),
  state: MemberState,
  incarnation: v.number(),
  /** Mesh address host:port. */
  address: v.string(),
  proxyUrl: v.nullable(v.string()),
  /** True for the control plane's own member. */
  control: v.boolean(),
});
export type MeshMemberView = v.InferOutput<typeof MeshMemberView>;

/** Where the registry routes a workspace: its hosting node and whether that node is alive. */
export const MeshRouteView = v.object({
  workspaceId: WorkspaceId,
  /** The hosting member's origin (a node id). */
  nodeId: v.string(),
  status: WorkspaceStatus,
  available: v.boolean(),
});
export type MeshRouteView = v.InferOutput<typeof MeshRouteView>;

/** The control plane member's live view of the mesh (`enabled: false` and empty when it runs without one). */
export const MeshView = v.object({
  enabled: v.boolean(),
  /** The control plane's member id and mesh address; null when the mesh is off. */
  self: v.nullable(v.object({ id: v.string(), address: v.string() })),
  members: v.array(MeshMemberView),
  /** Workspace → hosting node; members see only their own workspaces' routes. */
  routes: v.array(MeshRouteView),
  /** Gossip counters of the control plane's member since it started. */
  counters: v.object({
    packetsIn: v.number(),
    packetsOut: v.number(),
    syncs: v.number(),
    probes: v.number(),
    probeFailures: v.number(),
    suspicions: v.number(),
    deaths: v.number(),
    entriesApplied: v.number(),
  }),
});
export type MeshView = v.InferOutput<typeof MeshView>;
