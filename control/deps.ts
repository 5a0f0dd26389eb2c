// Everything the routes need, built once per process from the config (the wiring half of the composition root).
import type { MemberState } from '../contract/index.ts';
import { type ActivityLog, createActivityLog } from './activity/index.ts';
import {
  type Authenticator,
  type Credentials,
  createAuthenticator,
  createCredentials,
  createSharedProofUses,
  type SharedProofUses,
} from './auth/index.ts';
import { type Clock, systemClock } from './clock.ts';
import type { ControlConfig } from './config.ts';
import { createStore, type Database, openDatabase, type Store } from './db/index.ts';
import { createNodeFleet, type NodeFleet } from './fleet/index.ts';
import {
  createGitHubApp,
  createGitHubService,
  type GitHubService,
  type UserTokenStore,
} from './github/index.ts';
import {
  createIssuer,
  createKeyRing,
  deriveSubkey,
  type Issuer,
  type KeyRing,
  loadMasterKey,
  seal,
  unseal,
} from './identity/index.ts';
import { createLog, type Log } from './log.ts';
import { type ControlMesh, startControlMesh } from './mesh/index.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createLiveness, createNodeService, type Liveness, type NodeService } from './nodes/index.ts';
import type { Provider } from './providers/index.ts';
import type { TailscaleApi } from './tailscale/index.ts';
import {
  createNodeTaskAgents,
  createProjectRepository,
  createTaskDispatcher,
  createTaskPlacement,
  createTaskPullRequests,
  createTaskService,
  createTaskWorkspaces,
  createWarmPlacement,
  type TaskDispatcher,
  type TaskService,
  type TaskWorkspaces,
} from './tasks/index.ts';
import { createNodePush, createWorkspaceService, type WorkspaceService } from './workspaces/index.ts';

export interface ControlDeps {
  config: ControlConfig;
  /** The base URL people and nodes reach this control plane at (also the default `iss`). */
  publicUrl: string;
  /** The bound API port as configured (0: a free one); the mesh member defaults to port + 1. */
  port?: number;
  database: Database;
  store: Store;
  clock: Clock;
  log: Log;
  ring: KeyRing;
  issuer: Issuer;
  auth: Authenticator;
  credentials: Credentials;
  workspaces: WorkspaceService;
  nodes: NodeService;
  liveness: Liveness;
  metrics: Metrics;
  /**
   * The control plane's mesh member (origin `control`); undefined when `meshListen` is null, and on a replica
   * that does not hold the duties lease (one member publishes the control plane's entries: see startMeshMember).
   */
  mesh: ControlMesh | undefined;
  /** Whether this process holds the duties lease now (set once the lease runner started). */
  dutiesHeld?: () => boolean;
  /** On a replica without the mesh member: the seeds the holder last published (joining nodes get those). */
  standbyMeshSeeds?: () => string[] | undefined;
  /** Node proofs used by any replica (the database's record), pruned by the duties holder. */
  proofUses: SharedProofUses;
  /** GitHub sign-in, repositories and git tokens; null when no GitHub App is configured. */
  github: GitHubService | null;
  /** Per-workspace activity log (lifecycle, task and agent events). */
  activity: ActivityLog;
  /** Tasks, run by the agents of warm workspaces (through their nodes). */
  tasks: TaskService;
  taskDispatcher: TaskDispatcher;
  /** Stops idle task workspaces and deletes expired ones (on the task sweep). */
  taskWorkspaces: TaskWorkspaces;
  /** Node machines (provider, provisioning records) and the warm pool. */
  fleet: NodeFleet;
}

export interface DepsOptions {
  publicUrl: string;
  /** The bound API port; the mesh member defaults to port + 1 (0 stays 0). */
  port?: number;
  clock?: Clock;
  log?: Log;
  /** Tests: a provider or Tailscale API other than the configured ones. */
  provider?: Provider;
  tailscale?: TailscaleApi;
  /** Tests: the peers' view of each node, in place of the mesh member's (liveness rules without a mesh). */
  peerState?: (nodeId: string) => MemberState | undefined;
}

/** Opens the database (migrating it), loads the master key and the key ring, and wires the services. */
export async function openControlDeps(config: ControlConfig, options: DepsOptions): Promise<ControlDeps> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLog();
  const database = await openDatabase(config.dbUrl, {
    ...(config.dbAuthToken ? { authToken: config.dbAuthToken } : {}),
    sync: config.dbSync,
  });
  const store = createStore(database.db);
  const masterKey = await loadMasterKey(config.dataDir, config.masterKey);
  const ring = await createKeyRing(store, masterKey, clock, config.keyRing);
  const issuerName = config.issuer ?? options.publicUrl;
  const issuer = createIssuer(ring, clock, {
    issuer: issuerName,
    nodeCertificateTtlS: config.nodeCertificateTtlS,
    workspaceCallbackTtlS: config.workspaceCallbackTtlS,
  });
  const push = createNodePush({ issuer, log, timeoutMs: config.pushTimeoutMs });
  const activity = createActivityLog({
    client: database.client,
    clock,
    cursorKey: deriveSubkey(config.dataDir, config.masterKey, 'activity-cursor'),
    config: config.activity,
  });
  const fleet = createNodeFleet({
    config: config.infra,
    store,
    database,
    clock,
    log,
    dataDir: config.dataDir,
    controlUrl: config.infra.publicUrl ?? options.publicUrl,
    maintains: () => deps.dutiesHeld?.() ?? true,
    ...(options.provider ? { provider: options.provider } : {}),
    ...(options.tailscale ? { tailscale: options.tailscale } : {}),
  });
  const workspaces = createWorkspaceService({
    store,
    clock,
    push,
    log,
    ...(fleet.warmPool ? { nodeSource: fleet } : {}),
  });
  const githubApp = config.github ? createGitHubApp(config.github) : null;
  const projectRepos = store.github.projectRepos;
  const tasks = createTaskService({
    client: database.client,
    clock,
    placement: createTaskPlacement({
      store,
      workspaces,
      idle: createWarmPlacement({ store, client: database.client }),
      repositoryOf: config.github
        ? createProjectRepository({ projectRepos, gitBaseUrl: config.github.gitBaseUrl })
        : async () => null,
    }),
    agents: createNodeTaskAgents({ store, push, log }),
    activity,
    ...(githubApp
      ? {
          pullRequests: createTaskPullRequests({
            app: githubApp,
            projectRepos,
            publicUrl: config.infra.publicUrl ?? options.publicUrl,
          }),
        }
      : {}),
  });
  const peerState = options.peerState ?? ((nodeId: string) => deps.mesh?.peerState(nodeId));
  const liveness = createLiveness({
    store,
    clock,
    log,
    config,
    peerState,
    // Tests that give the peers' view directly always have it; else it is the mesh member's, on one replica.
    ...(options.peerState ? {} : { seesPeers: () => config.meshListen === null || deps.mesh !== undefined }),
  });
  const proofUses = createSharedProofUses(database.client);
  const deps: ControlDeps = {
    config,
    publicUrl: options.publicUrl,
    ...(options.port !== undefined ? { port: options.port } : {}),
    database,
    store,
    clock,
    log,
    ring,
    issuer,
    auth: createAuthenticator({
      store,
      ring,
      clock,
      issuer: () => issuerName,
      sharedProofUses: proofUses.claim,
    }),
    proofUses,
    credentials: createCredentials({
      store,
      clock,
      loginLinkTtlMs: config.loginLinkTtlMs,
      sessionTtlMs: config.sessionTtlMs,
    }),
    workspaces,
    nodes: createNodeService({
      store,
      clock,
      ring,
      issuer,
      workspaces,
      liveness,
      config,
      meshSeeds: () => deps.mesh?.seeds() ?? deps.standbyMeshSeeds?.(),
    }),
    mesh: undefined,
    liveness,
    metrics: createMetrics(),
    github: config.github
      ? createGitHubService(
          config.github,
          {
            states: store.github.signInStates,
            installations: store.github.installations,
            projectRepos: store.github.projectRepos,
            workspaces: store.workspaces,
            userTokens: sealedUserTokens(store, masterKey, clock),
          },
          () => clock.now(),
        )
      : null,
    activity,
    tasks,
    taskDispatcher: createTaskDispatcher({
      tasks,
      client: database.client,
      log,
      clock,
      staleAfterMs: config.taskStalePlacingMs,
    }),
    taskWorkspaces: createTaskWorkspaces({
      client: database.client,
      store,
      workspaces,
      clock,
      log,
      config: config.taskWorkspaces,
    }),
    fleet,
  };
  return deps;
}

/**
 * Starts the control plane's mesh member into `deps.mesh` (unless `meshListen` is null). Only the holder of the
 * duties lease runs one: every replica would otherwise publish the `control` origin's entries under the same
 * member id from two addresses. `seeds` (what the previous holder last saw) lets a new holder find the nodes.
 */
export async function startMeshMember(
  deps: ControlDeps,
  seeds: string[] = [],
): Promise<ControlMesh | undefined> {
  const { config } = deps;
  if (config.meshListen === null) return undefined;
  const port = deps.port;
  deps.mesh = await startControlMesh({
    listen: config.meshListen ?? {
      host: config.host,
      port: port === undefined || port === 0 ? 0 : port + 1,
    },
    timings: config.meshTimings,
    ring: deps.ring,
    store: deps.store,
    issuer: config.issuer ?? deps.publicUrl,
    log: deps.log,
    seeds,
  });
  return deps.mesh;
}

/** Users' GitHub tokens sealed with the master key, bound to their user id (AAD) so rows cannot be swapped. */
function sealedUserTokens(store: Store, masterKey: CryptoKey, clock: Clock): UserTokenStore {
  const aad = (userId: string) => `github-user-token:${userId}`;
  return {
    async save(userId, token) {
      const sealed = await seal(masterKey, new TextEncoder().encode(token), aad(userId));
      await store.github.userTokens.put(userId, sealed, clock.now());
    },
    async get(userId) {
      const sealed = await store.github.userTokens.get(userId);
      if (!sealed) return undefined;
      return new TextDecoder().decode(await unseal(masterKey, sealed, aad(userId)));
    },
  };
}
