// The drizzle schema of the control plane database; every status column is CHECKed against its contract union.

import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import {
  ACTIVITY_KINDS,
  AGENT_STATES,
  DESIRED_STATES,
  NODE_ISOLATIONS,
  NODE_STATUSES,
  PERMISSION_POLICIES,
  ROLES,
  TASK_STATUSES,
  USER_STATUSES,
  WORKSPACE_STATUSES,
} from '../../contract/index.ts';

/** `col IN ('a','b',…)` for a CHECK constraint; the values come from contract/, never from input. */
function inList(column: string, values: readonly string[]): string {
  return `"${column}" IN (${values.map((v) => `'${v}'`).join(', ')})`;
}
function oneOf(column: string, values: readonly string[]) {
  return sql.raw(inList(column, values));
}

// Times are unix milliseconds (integers); the API renders them as ISO 8601.

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    email: text('email'),
    role: text('role', { enum: ROLES }).notNull(),
    /** `pending` until an admin approves a user who came in through GitHub (WARREN_REQUIRE_APPROVAL). */
    status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
    /** GitHub's stable numeric user id; GitHub sign-in matches users by it, never by login or email. */
    githubId: integer('github_id'),
    githubLogin: text('github_login'),
    createdAt: integer('created_at').notNull(),
    /** Set by an admin: the user holds no usable credential until enabled again. */
    disabledAt: integer('disabled_at'),
  },
  (t) => [
    check('users_role_check', oneOf('role', ROLES)),
    check('users_status_check', oneOf('status', USER_STATUSES)),
    uniqueIndex('users_github_id').on(t.githubId),
    // One person per address, whatever its case: sign-in links and invitations go by it.
    uniqueIndex('users_email_unique').on(sql`lower(${t.email})`),
  ],
);

export const loginLinks = sqliteTable('login_links', {
  tokenHash: text('token_hash').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
});

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('sessions_token_hash').on(t.tokenHash)],
);

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** JSON array of ApiScope. */
    scopes: text('scopes').notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_token_hash').on(t.tokenHash), index('api_tokens_user').on(t.userId)],
);

/** Signing keys: the private key is sealed with the master key (AES-GCM), never stored in clear. */
export const signingKeys = sqliteTable('signing_keys', {
  kid: text('kid').primaryKey(),
  publicJwk: text('public_jwk').notNull(),
  /** base64url(iv ‖ AES-GCM ciphertext of the PKCS#8 private key), AAD = kid. */
  sealedPrivateKey: text('sealed_private_key').notNull(),
  createdAt: integer('created_at').notNull(),
  /** Published from createdAt; signs from activatesAt (publish before sign). */
  activatesAt: integer('activates_at').notNull(),
  /** Set when a newer key took over signing. */
  retiredAt: integer('retired_at'),
  /** retiredAt + the longest token life: after this no token it signed is valid, so it leaves the JWKS. */
  expiresAt: integer('expires_at'),
});

export const projects = sqliteTable(
  'projects',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
    /** Defaults a new workspace of the project starts from (the form fills them in); null: none. */
    appCommand: text('app_command'),
    agentCommand: text('agent_command'),
    /** WorkspaceResources as JSON; '{}' (the node's defaults) for older rows too. */
    resources: text('resources').notNull().default('{}'),
    /** PermissionPolicy: `ask` for older rows too, so nothing is approved that a person did not see. */
    agentPermissions: text('agent_permissions', { enum: PERMISSION_POLICIES }).notNull().default('ask'),
  },
  (t) => [
    index('projects_owner').on(t.ownerId),
    check('projects_agent_permissions_check', oneOf('agent_permissions', PERMISSION_POLICIES)),
  ],
);

export const nodes = sqliteTable(
  'nodes',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    status: text('status', { enum: NODE_STATUSES }).notNull(),
    address: text('address').notNull(),
    /** The node's Ed25519 public key (JWK JSON) bound into its certificate. */
    publicKey: text('public_key').notNull(),
    labels: text('labels').notNull(),
    capacityWorkspaces: integer('capacity_workspaces').notNull(),
    /**
     * The node's workspaces that occupy a slot (all but those being deleted), kept by triggers on `workspaces`
     * (migration 0015): placement and the capacity checks read it instead of counting rows, so a create costs
     * the same with ten workspaces as with ten thousand. A migration that rebuilds `workspaces` must recreate
     * those triggers.
     */
    occupiedWorkspaces: integer('occupied_workspaces').notNull().default(0),
    laptop: integer('laptop', { mode: 'boolean' }).notNull(),
    loadCpu: integer('load_cpu'),
    loadMemory: integer('load_memory'),
    version: text('version'),
    /** How the node isolates its workspaces, as last reported; null until it reports one. */
    isolation: text('isolation', { enum: NODE_ISOLATIONS }),
    /** The DNS name the node serves apps under (`ws-{id}.{baseDomain}`), as last reported; null until then. */
    baseDomain: text('base_domain'),
    /** When an admin drained the node: no new workspace or task is placed there, those it has keep running. */
    drainedAt: integer('drained_at'),
    lastHeartbeatAt: integer('last_heartbeat_at'),
    createdAt: integer('created_at').notNull(),
  },
  () => [
    check('nodes_status_check', oneOf('status', NODE_STATUSES)),
    check('nodes_isolation_check', sql.raw(`"isolation" IS NULL OR ${inList('isolation', NODE_ISOLATIONS)}`)),
  ],
);

export const joinTokens = sqliteTable(
  'join_tokens',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    /** The admin who asked; null for tokens the control plane minted itself (provisioning, warm pool). */
    createdBy: text('created_by').references(() => users.id, { onDelete: 'cascade' }),
    laptop: integer('laptop', { mode: 'boolean' }).notNull(),
    labels: text('labels').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
    usedByNode: text('used_by_node'),
    /**
     * A node id chosen before the node exists (a provider names the machine after it): the node that joins
     * with this token gets exactly this id. Null: the join picks a fresh id.
     */
    nodeId: text('node_id'),
  },
  (t) => [uniqueIndex('join_tokens_token_hash').on(t.tokenHash)],
);

export const workspaces = sqliteTable(
  'workspaces',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    nodeId: text('node_id').references(() => nodes.id, { onDelete: 'set null' }),
    status: text('status', { enum: WORKSPACE_STATUSES }).notNull(),
    /** The status before the node went away, restored when it returns (`unreachable` only). */
    statusBeforeUnreachable: text('status_before_unreachable', { enum: WORKSPACE_STATUSES }),
    desiredState: text('desired_state', { enum: DESIRED_STATES }).notNull(),
    statusReason: text('status_reason'),
    appCommand: text('app_command'),
    /** The ACP agent command (issue 7); null: the workspace runs no agent. */
    agentCommand: text('agent_command'),
    env: text('env').notNull(),
    /** WorkspaceResources as JSON: the limits set at creation; '{}' (node defaults) for older rows too. */
    resources: text('resources').notNull().default('{}'),
    /** The terminal's login shell (issue 15); null: bash where the workspace has it, else sh. */
    shell: text('shell'),
    /** Grows with each retry the user asks for; the node restarts a run whose generation changed. */
    generation: integer('generation').notNull().default(0),
    port: integer('port'),
    /** Its agent's state as the node last reported it (issue 17); null: no agent, or not reported yet. */
    agentState: text('agent_state', { enum: AGENT_STATES }),
    /** The task it was made for (issue 17): it serves that task and its follow-ups only. No FK: tasks point here. */
    taskId: text('task_id'),
    /** WorkspaceRepository as JSON: cloned before its agent starts; null: nothing to clone. */
    repository: text('repository'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    check('workspaces_status_check', oneOf('status', WORKSPACE_STATUSES)),
    check(
      'workspaces_status_before_check',
      sql.raw(
        `"status_before_unreachable" IS NULL OR ${inList('status_before_unreachable', WORKSPACE_STATUSES)}`,
      ),
    ),
    check('workspaces_desired_check', oneOf('desired_state', DESIRED_STATES)),
    index('workspaces_owner').on(t.ownerId),
    index('workspaces_task').on(t.taskId),
    // With desired_state: the capacity checks count a node's occupying workspaces from the index alone.
    index('workspaces_node').on(t.nodeId, t.desiredState),
    // Names are unique within a project, so people and scripts can tell workspaces apart by name. A workspace
    // being deleted gives its name up at once: it can be reused while the node still tears the old one down.
    uniqueIndex('workspaces_project_name')
      .on(t.projectId, t.name)
      .where(sql.raw(`"desired_state" != 'deleted'`)),
  ],
);

export const revocations = sqliteTable(
  'revocations',
  {
    subject: text('subject').primaryKey(),
    /** Unix seconds: tokens of this subject issued before are void. */
    notBefore: integer('not_before').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  () => [check('revocations_subject_check', sql.raw(`"subject" GLOB '[unw]*:*'`))],
);

// ---- GitHub ----

/** One-use sign-in states (control/github StateStore); only a hash of the secret half is kept. */
export const githubSignInStates = sqliteTable(
  'github_sign_in_states',
  {
    id: text('id').primaryKey(),
    secretHash: text('secret_hash').notNull(),
    redirectUrl: text('redirect_url').notNull(),
    returnTo: text('return_to').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('github_sign_in_states_expires').on(t.expiresAt)],
);

/** A user's GitHub user-to-server token, sealed with the master key (AAD = user id), for access checks. */
export const githubUserTokens = sqliteTable('github_user_tokens', {
  userId: text('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  sealedToken: text('sealed_token').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** GitHub App installations, from the setup callback and from webhooks. */
export const githubInstallations = sqliteTable('github_installations', {
  id: integer('id').primaryKey(),
  accountId: integer('account_id').notNull(),
  accountLogin: text('account_login').notNull(),
  accountType: text('account_type').notNull(),
  suspended: integer('suspended', { mode: 'boolean' }).notNull(),
});

/** A project's binding to the installation its git tokens are minted from. */
export const projectGithub = sqliteTable('project_github', {
  projectId: text('project_id')
    .primaryKey()
    .references(() => projects.id, { onDelete: 'cascade' }),
  installationId: integer('installation_id').notNull(),
});

export const PROJECT_REPO_ROLES = ['primary', 'additional'] as const;

/** The explicit repository-ID set of a project: its primary plus verified additional repos. */
export const projectRepos = sqliteTable(
  'project_repos',
  {
    projectId: text('project_id')
      .notNull()
      .references(() => projectGithub.projectId, { onDelete: 'cascade' }),
    repoId: integer('repo_id').notNull(),
    fullName: text('full_name').notNull(),
    role: text('role', { enum: PROJECT_REPO_ROLES }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.repoId] }),
    check('project_repos_role_check', oneOf('role', PROJECT_REPO_ROLES)),
  ],
);

// ---- tasks and the activity log (issue 7) ----

/**
 * Tasks: `tasks_owner_key` makes a second submission with the same key find the first task (the database,
 * not a read-then-write); `dispatch_id` is the one dispatch that owns placement; `tasks_one_per_workspace`
 * lets a workspace hold at most one placing or running task (a task waiting on a person, `needs_input`, still
 * holds it). Full-text search (task_search) is in a custom
 * migration: drizzle does not describe FTS5 tables.
 */
export const tasks = sqliteTable(
  'tasks',
  {
    id: text('id').primaryKey(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    prompt: text('prompt').notNull(),
    status: text('status', { enum: TASK_STATUSES }).notNull(),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash').notNull(),
    dispatchId: text('dispatch_id'),
    workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'set null' }),
    nodeId: text('node_id').references(() => nodes.id, { onDelete: 'set null' }),
    agentSessionId: text('agent_session_id'),
    /** JSON of TaskOutcome. */
    outcome: text('outcome'),
    summary: text('summary'),
    /** The pushed branch, its last commit, the branch it started from, and its pull request (issue 17). */
    branch: text('branch'),
    commitSha: text('commit_sha'),
    baseBranch: text('base_branch'),
    pullRequestUrl: text('pull_request_url'),
    pullRequestNumber: integer('pull_request_number'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    endedAt: integer('ended_at'),
  },
  (t) => [
    check('tasks_status_check', oneOf('status', TASK_STATUSES)),
    uniqueIndex('tasks_owner_key').on(t.ownerId, t.idempotencyKey),
    index('tasks_owner').on(t.ownerId, t.createdAt),
    index('tasks_status').on(t.status),
    uniqueIndex('tasks_one_per_workspace')
      .on(t.workspaceId)
      .where(sql.raw(`"status" IN ('placing', 'running', 'needs_input')`)),
  ],
);

/** Follow-up messages of a task; `delivered_at` once the agent got it. */
export const taskMessages = sqliteTable(
  'task_messages',
  {
    id: text('id').primaryKey(),
    taskId: text('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [index('task_messages_task').on(t.taskId, t.createdAt)],
);

/**
 * The per-workspace activity log. AUTOINCREMENT: an id is never reused after pruning, so an old cursor
 * cannot point at a newer event. Full-text search (activity_search) is in a custom migration.
 */
export const activityEvents = sqliteTable(
  'activity_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    at: integer('at').notNull(),
    kind: text('kind', { enum: ACTIVITY_KINDS }).notNull(),
    type: text('type').notNull(),
    message: text('message').notNull(),
  },
  (t) => [
    check('activity_events_kind_check', oneOf('kind', ACTIVITY_KINDS)),
    index('activity_events_workspace').on(t.workspaceId, t.id),
    index('activity_events_at').on(t.at),
  ],
);

// ---- Warm pool (control/warm-pool) ----

export const WARM_NODE_STATES = ['provisioning', 'warm', 'claimed', 'reaping'] as const;

/**
 * Nodes a warm pool keeps ready. The claim and reap statements are single SQL statements
 * (control/warm-pool/warm-pool-store.ts): their atomicity is what keeps two claims off one node.
 */
export const warmNodes = sqliteTable(
  'warm_nodes',
  {
    id: text('id').primaryKey(),
    pool: text('pool').notNull(),
    state: text('state', { enum: WARM_NODE_STATES }).notNull(),
    createdAt: integer('created_at').notNull(),
    readyAt: integer('ready_at'),
    idleSince: integer('idle_since'),
    claimedBy: text('claimed_by'),
    claimedAt: integer('claimed_at'),
  },
  (t) => [
    check('warm_nodes_state_check', oneOf('state', WARM_NODE_STATES)),
    check('warm_nodes_claimed_check', sql.raw(`("state" = 'claimed') = ("claimed_by" IS NOT NULL)`)),
    index('warm_nodes_pool_state').on(t.pool, t.state, t.readyAt),
  ],
);

// ---- Replicas (control/lease) ----

/**
 * Leases: which control plane replica runs the duties that must run once (key rotation, sweeps, warm pools, the
 * control plane's mesh member). `term` grows with every change of hands; writes a holder makes on the strength
 * of its lease name the term, so a holder paused past its expiry cannot write after another took over.
 */
export const leases = sqliteTable('leases', {
  name: text('name').primaryKey(),
  holder: text('holder').notNull(),
  term: integer('term').notNull(),
  expiresAt: integer('expires_at').notNull(),
  acquiredAt: integer('acquired_at').notNull(),
  /** What the holder tells the other replicas (JSON): its mesh member's address and seeds. */
  info: text('info').notNull().default('{}'),
});

/**
 * Counters every replica reads, e.g. `credentials`: moved by each write to users, sessions or API tokens, so
 * caches of credential lookups in other replicas drop what a sign-out or revocation made stale.
 */
export const sharedCounters = sqliteTable('shared_counters', {
  name: text('name').primaryKey(),
  value: integer('value').notNull(),
});

/**
 * Node proofs already used (their `jti`), shared by the replicas: a proof captured on its way to one replica
 * is refused by the others too. A row is useless once its proof is stale (`expires_at`) and is pruned.
 */
export const nodeProofUses = sqliteTable(
  'node_proof_uses',
  {
    jti: text('jti').primaryKey(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('node_proof_uses_expires').on(t.expiresAt)],
);
