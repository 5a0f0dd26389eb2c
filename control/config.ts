// The control plane's configuration: the only reader of the environment; validated with valibot at start.
import { resolve } from 'node:path';
import * as v from 'valibot';
import { defaultMeshConfig, type MeshConfig, meshConfigFrom } from '../mesh/index.ts';
import { type ActivityConfig, defaultActivityConfig } from './activity/index.ts';
import { DB_SYNC, type DbSync } from './db/index.ts';
import { defaultInfraConfig, type InfraConfig, parseInfraConfig } from './fleet/index.ts';
import { type GitHubConfig, parseGitHubConfig } from './github/index.ts';
import { defaultHardeningConfig, type HardeningConfig, parseHardeningConfig } from './hardening/index.ts';
import { defaultKeyRingConfig, type KeyRingConfig } from './identity/index.ts';
import { defaultLeaseConfig, type LeaseConfig } from './lease/index.ts';
import { defaultTaskWorkspaceConfig, type TaskWorkspaceConfig } from './tasks/index.ts';

export interface ControlConfig {
  /** Interface to listen on: loopback by default, the control plane is reached through a tunnel or mesh. */
  host: string;
  /** 7400; 0 picks a free port (tests). */
  port: number;
  /** `.warren/`: master key, database file, admin token, login link. */
  dataDir: string;
  /** `file:<dataDir>/control.db` (embedded libSQL) or `http://…` for a libSQL server. */
  dbUrl: string;
  dbAuthToken?: string;
  /**
   * WARREN_DB_SYNC, for a database file. `normal` (default): the write-ahead log is synced at checkpoints, so
   * an acknowledged write survives the process being killed, while the last moments before a power cut or a
   * kernel crash may be lost (never corrupted). `full`: synced at every commit, which halves create throughput.
   */
  dbSync: DbSync;
  /** 32 raw bytes; absent means `<dataDir>/master.key`, generated once. */
  masterKey?: Uint8Array;
  /** The `iss` of every token; absent means the bound URL. */
  issuer?: string;
  /** 10 s: nodes heartbeat this often (plus jitter); liveness thresholds are multiples of it. */
  heartbeatIntervalMs: number;
  /** A node with no heartbeat for 3 intervals is degraded, for 6 offline (or awaiting_agent for laptops). */
  degradedAfterMs: number;
  offlineAfterMs: number;
  /** 1 s: a push to a node never holds an API response longer; heartbeats catch what a push missed. */
  pushTimeoutMs: number;
  /** 12 h, see IssuerConfig. */
  nodeCertificateTtlS: number;
  /** 10 min. */
  workspaceCallbackTtlS: number;
  /** 24 h: a one-time login link is for the first sign-in right after start. */
  loginLinkTtlMs: number;
  /** 30 days of UI session. */
  sessionTtlMs: number;
  keyRing: KeyRingConfig;
  /** The GitHub App (WARREN_GITHUB_*); null: GitHub sign-in, repositories and git tokens are off. */
  github: GitHubConfig | null;
  /** WARREN_REQUIRE_APPROVAL: new users signing in with GitHub wait for an admin; off by default (small teams). */
  requireApproval: boolean;
  /** The activity log; its retention is WARREN_ACTIVITY_RETENTION_DAYS (default 30 days). */
  activity: ActivityConfig;
  /** 5 s, ±20 % jitter: how often tasks still queued (no free warm workspace yet) are dispatched again. */
  taskSweepMs: number;
  /**
   * 60 s (WARREN_TASK_STALE_PLACING_MS): a task left `placing` this long lost its dispatcher (a killed replica)
   * and the sweep takes it over; far past the longest live dispatch (the node's start call times out after 10 s).
   */
  taskStalePlacingMs: number;
  /** When workspaces made for tasks are stopped and deleted after their task's last turn (control/tasks/task-workspaces.ts). */
  taskWorkspaces: TaskWorkspaceConfig;
  /** Node infrastructure: Tailscale API, provider (local/hetzner), warm pool (WARREN_TAILSCALE_*, WARREN_PROVIDER…). */
  infra: InfraConfig;
  /**
   * The control plane's own mesh member (origin `control`): it publishes the key set and revocations and
   * watches members for node status. `meshListen` (WARREN_MESH_LISTEN, --mesh-listen) defaults to the
   * API host and port + 1 (0 when the API binds port 0); `null` turns the member off.
   */
  meshListen: { host: string; port: number } | undefined | null;
  /** SWIM and gossip timings (WARREN_MESH_PROFILE, WARREN_MESH_CONFIG), the same knobs nodes use. */
  meshTimings: MeshConfig;
  /** Body limits, JSON depth, rate limits and trusted proxies (WARREN_RATE_LIMITS, WARREN_PROXY_HOPS). */
  hardening: HardeningConfig;
  /**
   * The lease of the duties that run once among replicas (WARREN_LEASE_TTL_MS): key rotation, sweeps, warm
   * pools, the control plane's mesh member. A lone control plane simply holds it.
   */
  lease: LeaseConfig;
  /**
   * 5 s: how often a replica re-reads the signing keys, so it publishes keys another replica rotated; far
   * under the publish lead (2 min), so every replica publishes a key before any signs with it.
   */
  keyRefreshMs: number;
  /** 1 s: how often a replica catches up with sign-outs and revocations other replicas wrote. */
  credentialFollowMs: number;
}

export function defaultControlConfig(dataDir = '.warren'): ControlConfig {
  const nodeCertificateTtlS = 12 * 3600;
  return {
    host: '127.0.0.1',
    port: 7400,
    dataDir: resolve(dataDir),
    dbUrl: `file:${resolve(dataDir, 'control.db')}`,
    dbSync: 'normal',
    heartbeatIntervalMs: 10_000,
    degradedAfterMs: 30_000,
    offlineAfterMs: 60_000,
    pushTimeoutMs: 1_000,
    nodeCertificateTtlS,
    workspaceCallbackTtlS: 600,
    loginLinkTtlMs: 24 * 3_600_000,
    sessionTtlMs: 30 * 86_400_000,
    keyRing: { ...defaultKeyRingConfig(), maxTokenLifetimeMs: nodeCertificateTtlS * 1000 },
    github: null,
    requireApproval: false,
    activity: defaultActivityConfig(),
    taskSweepMs: 5_000,
    taskStalePlacingMs: 60_000,
    taskWorkspaces: defaultTaskWorkspaceConfig(),
    infra: defaultInfraConfig(),
    meshListen: undefined,
    meshTimings: defaultMeshConfig(),
    hardening: defaultHardeningConfig(),
    lease: defaultLeaseConfig(),
    keyRefreshMs: 5_000,
    credentialFollowMs: 1_000,
  };
}

/** Flags of `warren control`, already split by the CLI; they win over the environment. */
export interface ControlFlags {
  port?: string;
  data?: string;
  dbUrl?: string;
  host?: string;
  meshListen?: string;
}

const Port = v.pipe(
  v.string(),
  v.transform(Number),
  v.number('must be a number'),
  v.integer('must be an integer'),
  v.minValue(0, 'must be at least 0'),
  v.maxValue(65535, 'must be at most 65535'),
);
const MasterKey = v.pipe(
  v.string(),
  v.transform((s) => new Uint8Array(Buffer.from(s.trim(), 'base64url'))),
  v.check((b) => b.length === 32, 'must be 32 bytes in base64 or base64url (openssl rand -base64 32)'),
);
const DbUrl = v.pipe(
  v.string(),
  v.regex(
    /^(file:|https?:\/\/|libsql:\/\/|wss?:\/\/)/,
    'must start with file:, http(s)://, libsql:// or ws(s)://',
  ),
);

/** Milliseconds between `min` and `max`. */
const Millis = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.transform(Number),
    v.number('must be a number of milliseconds'),
    v.integer('must be an integer'),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const Flag = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.picklist(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'),
  v.transform((s) => s === 'true' || s === '1' || s === 'yes'),
);

/** Thrown when a setting is invalid; the message names the variable or flag. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parse<T>(schema: v.GenericSchema<string, T>, name: string, raw: string | undefined): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  const r = v.safeParse(schema, raw);
  if (!r.success) throw new ConfigError(`${name} ${r.issues[0]?.message ?? 'is invalid'}`);
  return r.output;
}

/** Reads WARREN_* variables and the flags, validates them, and fills in the defaults. */
export function loadControlConfig(
  flags: ControlFlags = {},
  env: Record<string, string | undefined> = process.env,
): ControlConfig {
  const dataDir = flags.data ?? env.WARREN_DATA_DIR ?? '.warren';
  const config = defaultControlConfig(dataDir);
  const port = parse(
    Port,
    flags.port !== undefined ? '--port' : 'WARREN_PORT',
    flags.port ?? env.WARREN_PORT,
  );
  if (port !== undefined) config.port = port;
  config.host = flags.host ?? env.WARREN_HOST ?? config.host;
  const dbUrl = parse(
    DbUrl,
    flags.dbUrl !== undefined ? '--db-url' : 'WARREN_DB_URL',
    flags.dbUrl ?? env.WARREN_DB_URL,
  );
  if (dbUrl !== undefined) config.dbUrl = dbUrl;
  if (env.WARREN_DB_AUTH_TOKEN) config.dbAuthToken = env.WARREN_DB_AUTH_TOKEN;
  const dbSync = parse(v.picklist(DB_SYNC, 'must be normal or full'), 'WARREN_DB_SYNC', env.WARREN_DB_SYNC);
  if (dbSync) config.dbSync = dbSync;
  const masterKey = parse(MasterKey, 'WARREN_MASTER_KEY', env.WARREN_MASTER_KEY);
  if (masterKey) config.masterKey = masterKey;
  const issuer = parse(
    v.pipe(v.string(), v.maxLength(200, 'must be at most 200 characters')),
    'WARREN_ISSUER',
    env.WARREN_ISSUER,
  );
  if (issuer) config.issuer = issuer;
  const github = parseGitHubConfig(env);
  if (!github.ok) throw new ConfigError(github.message);
  config.github = github.config;
  const approval = parse(Flag, 'WARREN_REQUIRE_APPROVAL', env.WARREN_REQUIRE_APPROVAL);
  if (approval !== undefined) config.requireApproval = approval;
  const retentionDays = parse(
    v.pipe(
      v.string(),
      v.transform(Number),
      v.number('must be a number'),
      v.minValue(1 / 24, 'must be at least one hour (1/24)'),
      v.maxValue(3650, 'must be at most 3650'),
    ),
    'WARREN_ACTIVITY_RETENTION_DAYS',
    env.WARREN_ACTIVITY_RETENTION_DAYS,
  );
  if (retentionDays !== undefined)
    config.activity = { ...config.activity, retentionMs: Math.round(retentionDays * 86_400_000) };
  const leaseTtl = parse(Millis(300, 600_000), 'WARREN_LEASE_TTL_MS', env.WARREN_LEASE_TTL_MS);
  if (leaseTtl !== undefined) config.lease = { ttlMs: leaseTtl, renewEveryMs: Math.round(leaseTtl / 3) };
  // Rotation timings (tests and drills: a rotation every few seconds); the defaults are in KeyRingConfig.
  const rotation = parse(
    Millis(100, 365 * 86_400_000),
    'WARREN_KEY_ROTATION_INTERVAL_MS',
    env.WARREN_KEY_ROTATION_INTERVAL_MS,
  );
  if (rotation !== undefined) config.keyRing = { ...config.keyRing, rotationIntervalMs: rotation };
  const lead = parse(Millis(0, 86_400_000), 'WARREN_KEY_PUBLISH_LEAD_MS', env.WARREN_KEY_PUBLISH_LEAD_MS);
  if (lead !== undefined) {
    config.keyRing = { ...config.keyRing, publishLeadMs: lead };
    // Replicas must publish a key well before it signs: re-read the keys ten times within the lead at least.
    config.keyRefreshMs = Math.max(100, Math.min(config.keyRefreshMs, Math.floor(lead / 10)));
  }
  const stale = parse(
    Millis(1_000, 3_600_000),
    'WARREN_TASK_STALE_PLACING_MS',
    env.WARREN_TASK_STALE_PLACING_MS,
  );
  if (stale !== undefined) config.taskStalePlacingMs = stale;
  const idleStop = parse(
    Millis(1_000, 30 * 86_400_000),
    'WARREN_TASK_IDLE_STOP_MS',
    env.WARREN_TASK_IDLE_STOP_MS,
  );
  if (idleStop !== undefined) config.taskWorkspaces = { ...config.taskWorkspaces, idleStopMs: idleStop };
  const keep = parse(
    Millis(1_000, 365 * 86_400_000),
    'WARREN_TASK_WORKSPACE_RETENTION_MS',
    env.WARREN_TASK_WORKSPACE_RETENTION_MS,
  );
  if (keep !== undefined) config.taskWorkspaces = { ...config.taskWorkspaces, retentionMs: keep };
  const hardening = parseHardeningConfig(env);
  if (!hardening.ok) throw new ConfigError(hardening.message);
  config.hardening = hardening.config;
  const infra = parseInfraConfig(env, config.dataDir);
  if (!infra.ok) throw new ConfigError(infra.message);
  config.infra = infra.config;
  const meshAt = flags.meshListen ?? env.WARREN_MESH_LISTEN;
  if (meshAt === 'off') config.meshListen = null;
  else if (meshAt) {
    const m = /^([^\s]+):(\d{1,5})$/.exec(meshAt);
    if (!m || Number(m[2]) > 65535)
      throw new ConfigError(`WARREN_MESH_LISTEN must be host:port or off (got "${meshAt}")`);
    config.meshListen = { host: m[1] as string, port: Number(m[2]) };
  }
  try {
    config.meshTimings = meshConfigFrom(
      env.WARREN_MESH_PROFILE || undefined,
      env.WARREN_MESH_CONFIG || undefined,
    );
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  return config;
}
