// The node's configuration: defaults, presets, and the only place that reads flags and the environment.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as v from 'valibot';
import { BaseDomain } from '../contract/index.ts';
import { defaultMeshConfig, localMeshConfig, type MeshConfig, meshConfigFrom } from '../mesh/index.ts';
import { type AgentSupervisorConfig, defaultAgentSupervisorConfig } from './agent/index.ts';
import { defaultForwardConfig, type ForwardConfig, localForwardConfig } from './proxy/index.ts';
import {
  defaultTerminalConfig,
  defaultWorkspaceLogsConfig,
  type SandboxConfig,
  type TerminalConfig,
  type WorkspaceLimits,
  type WorkspaceLogsConfig,
} from './workspaces/index.ts';

/** Everything a node needs to run; `defaultNodeConfig()` fills what is not given. */
export interface NodeConfig {
  /** Base URL of the control plane, e.g. `http://127.0.0.1:7400`. */
  controlUrl: string;
  /** One-use join token; only needed the first time (the data dir remembers the node afterwards). */
  joinToken: string | undefined;
  /** Human name shown in the UI; default the host name. */
  name: string;
  /** Where identity, state and workspace directories live; default `.warren/node`. */
  dataDir: string;
  /**
   * Listen address of the proxy and node API; default 127.0.0.1:7420, port 0 picks a free port. With
   * `--network tailscale` the default host is `tailnet`: this machine's Tailscale IP, so the node is reachable
   * on the tailnet and nowhere else.
   */
  listen: { host: string; port: number };
  /** URL the control plane and users reach this node at; default `http://{listen}` after binding. */
  advertiseUrl: string | undefined;
  /** `direct`: plain addresses (local use and tests); `tailscale`: advertise this machine's tailnet address. */
  network: 'direct' | 'tailscale';
  /** tailscaled's LocalAPI socket, read with `--network tailscale`; default where tailscaled listens on Linux. */
  tailscaleSocket: string;
  /**
   * File holding the one-use join token (WARREN_JOIN_TOKEN_FILE, what cloud-init and the local provider use, so
   * the token is never in argv or a unit file); deleted after a successful join.
   */
  joinTokenFile: string | undefined;
  /** A laptop goes to `awaiting_agent` instead of `offline` when it stops heartbeating. */
  laptop: boolean;
  /** Workspaces are also served on `ws-{id}.{baseDomain}`; `localhost` because browsers resolve it to loopback. */
  baseDomain: string;
  /**
   * Whether `/w/{id}/_auth` may set a cookie (and a path-mode app's page on the node's origin may open its
   * WebSockets with it). Off: path mode takes bearer tokens only, because every path-mode app shares the node's
   * origin and one app's page could read another's with its owner's cookie; browsers use `ws-{id}.{baseDomain}`.
   */
  allowPathApps: boolean;
  /** How many workspaces this node offers to host. */
  capacity: number;
  /**
   * Stop (cleanly) when stdin reaches its end: set by a parent that started this node with a pipe on stdin
   * which it never writes (`warren up`, the local provider). The kernel closes the parent's end however the
   * parent ends, `kill -9` included, so the node never outlives it. Off by default: a node run by hand or by
   * systemd has a terminal or nothing on stdin.
   */
  exitWithParent: boolean;
  /**
   * true: a raw TCP listener takes plain workspace requests with a known token straight to the app and tunnels
   * the rest to the full server (the proxy benchmark's path); false: every request goes through Bun.serve.
   */
  fastPath: boolean;
  labels: Record<string, string>;
  auth: AuthConfig;
  heartbeat: HeartbeatConfig;
  runtime: ProcessRuntimeConfig;
  /**
   * `sandbox` (the default on Linux): every workspace in bubblewrap namespaces with its own uid, cgroup limits
   * and (root nodes) network namespace. `process`: no isolation, only when chosen (`--runtime process`), e.g. on
   * macOS; the node warns at start and the Nodes page shows it.
   */
  isolation: 'sandbox' | 'process';
  sandbox: SandboxConfig;
  git: GitConfig;
  /**
   * Agent timeouts, restarts and permissions (node/agent's defaults: 10 s handshake, 5 min without a word from
   * the agent ends a turn, 5 s cancel grace, a task waiting 60 s on a permission answer is `needs_input`).
   * WARREN_AGENT_TURN_IDLE_TIMEOUT_MS overrides the turn watchdog, WARREN_AGENT_NEEDS_INPUT_MS the last.
   */
  agent: AgentSupervisorConfig;
  /**
   * Reconnecting terminals (node/workspaces/terminal-sessions.ts: 1 MiB of scrollback, 5 minutes of grace after
   * the last socket closes). WARREN_TERMINAL_SCROLLBACK_BYTES and WARREN_TERMINAL_DETACH_GRACE_MS override them.
   */
  terminal: TerminalConfig;
  mesh: NodeMeshConfig;
  /**
   * Requests for workspaces on other nodes: 2 s to connect, 10 s to the first byte (then the host must prove it
   * is alive), a breaker after 3 failures in a row, at most 64 waiting per host (node/proxy/forward-config.ts
   * says why). WARREN_FORWARD_CONFIG (JSON) overrides single knobs.
   */
  forward: ForwardConfig;
}

/** The node's mesh member. */
export interface NodeMeshConfig {
  /**
   * UDP+TCP address of the mesh member; default the proxy host and proxy port + 1 (port 0 when the proxy
   * binds port 0), so one firewall rule pair covers a node. Advertised in the node's member entry.
   */
  listen: { host: string; port: number } | undefined;
  /** SWIM and gossip timings: production defaults; WARREN_MESH_PROFILE=local and WARREN_MESH_CONFIG tune them. */
  timings: MeshConfig;
  /**
   * A valid token for a workspace the registry does not hold gets 503 (not yet known here), not 404, while it is
   * younger than this (and always while the registry has not synced since start). WARREN_MESH_CONVERGE_WINDOW_MS.
   */
  convergeWindowMs: number;
}

/** The git credential helper's settings. */
export interface GitConfig {
  /**
   * `protocol://host[:port]` origins the helper hands tokens to: `https://github.com` only, so a token never
   * leaves for another host. WARREN_GIT_ALLOWED_ORIGINS (comma separated) replaces it (tests, GitHub Enterprise).
   */
  allowedOrigins: string[];
}

/** Token verification settings. */
export interface AuthConfig {
  /** Minimum time between two key-set fetches, so unknown `kid`s cannot make us hammer the control plane. */
  jwksCooldownMs: number;
  /** Verified tokens kept in memory; 10k tokens of ~1 KiB is ~10 MiB at most. */
  cacheSize: number;
  /** Clock skew tolerated on `exp`/`nbf`/`iat`, in seconds; small because tokens live minutes. */
  clockToleranceSec: number;
  /**
   * How often open WebSockets (terminal, agent, app) are checked for an expired token. A revocation ends them as
   * it arrives; expiry is seen within this, which keeps the promise of "closed within 2 s" with room to spare.
   */
  sessionCheckMs: number;
}

/** Heartbeat and retry settings. */
export interface HeartbeatConfig {
  /** First retry delay after a failed heartbeat. */
  backoffBaseMs: number;
  /** Retry delays never grow past this, so a node finds a recovered control plane within a minute. */
  backoffMaxMs: number;
  /** Fraction of the interval added or removed at random, so nodes do not heartbeat in lockstep. */
  jitter: number;
}

/** Process runtime settings. */
export interface ProcessRuntimeConfig {
  /** Consecutive crashes after which the workspace goes to `error` instead of restarting again. */
  maxRestarts: number;
  /** First restart delay; doubles with each consecutive crash. */
  restartBaseMs: number;
  /** An app that has run this long without crashing is healthy again: the crash count resets. */
  stableAfterMs: number;
  /** Time between SIGTERM and SIGKILL when stopping a workspace's process group. */
  stopGraceMs: number;
  /** An app that does not listen on PORT within this time ends in `error` (slow builds fit in two minutes). */
  readyTimeoutMs: number;
  /** Shell for app commands and terminals. */
  shell: string;
  /** Variables every workspace inherits (PATH, locale); the workspace's own env and PORT come on top. */
  env: Record<string, string>;
  /** Resource limits of a workspace unless its spec says otherwise (the sandbox enforces them with cgroups). */
  limits: WorkspaceLimits;
  /**
   * How much app and agent output is kept per workspace (default 1 MiB × 2 files per source, see
   * defaultWorkspaceLogsConfig). WARREN_WORKSPACE_LOG_MAX_BYTES and WARREN_WORKSPACE_LOG_FILES override it.
   */
  logs?: WorkspaceLogsConfig;
}

/** The defaults for production use. */
export function defaultNodeConfig(): NodeConfig {
  return {
    controlUrl: 'http://127.0.0.1:7400',
    joinToken: undefined,
    name: hostName(),
    dataDir: '.warren/node',
    listen: { host: '127.0.0.1', port: 7420 },
    advertiseUrl: undefined,
    network: 'direct',
    tailscaleSocket: '/var/run/tailscale/tailscaled.sock',
    joinTokenFile: undefined,
    laptop: false,
    baseDomain: 'localhost',
    allowPathApps: false,
    capacity: 32,
    exitWithParent: false,
    fastPath: true,
    labels: {},
    auth: { jwksCooldownMs: 30_000, cacheSize: 10_000, clockToleranceSec: 5, sessionCheckMs: 500 },
    heartbeat: { backoffBaseMs: 500, backoffMaxMs: 30_000, jitter: 0.2 },
    runtime: {
      maxRestarts: 5,
      restartBaseMs: 500,
      stableAfterMs: 30_000,
      stopGraceMs: 3_000,
      readyTimeoutMs: 120_000,
      shell: '/bin/sh',
      env: baseEnv(),
      // 2 GiB and 2 cores: a dev server plus a build fits; 1,024 processes stop a fork bomb long before the
      // machine's own limit (pid_max) while leaving room for parallel builds. Per workspace: `resources`.
      limits: { memoryMb: 2048, pids: 1024, cpus: 2 },
    },
    isolation: process.platform === 'linux' ? 'sandbox' : 'process',
    sandbox: defaultSandboxConfig(),
    git: { allowedOrigins: ['https://github.com'] },
    agent: defaultAgentSupervisorConfig(),
    terminal: defaultTerminalConfig(),
    mesh: {
      listen: undefined,
      timings: defaultMeshConfig(),
      // One production push-pull interval: a workspace's entry that gossip lost still reaches every node by the
      // next anti-entropy round, so a token issued as the workspace was placed finds it here within about that.
      convergeWindowMs: 30_000,
    },
    forward: defaultForwardConfig(),
  };
}

/** The sandbox's defaults. */
export function defaultSandboxConfig(): SandboxConfig {
  return {
    // A /16 of the 10/8 private block that cloud and home networks rarely use: 16,384 workspaces of a /30 each.
    subnet: '10.213.0.0/16',
    // Far above login users (1000+) and the subordinate ranges useradd hands out (100000–165535 and up).
    uidBase: 3_000_000,
    // The link-local block (cloud metadata at 169.254.169.254) and the tailnet's CGNAT block (other nodes,
    // the users' own devices): a workspace has no business on either.
    denied: ['169.254.0.0/16', '100.64.0.0/10'],
    // Shared by every node on the machine; under /run so it is empty after a reboot, like the namespaces.
    hostDir: '/run/warren',
    readOnly: [],
    hidden: [],
    shell: '/bin/sh',
  };
}

/** Where the mesh member binds: the flag, else the proxy's host and port + 1 (0 stays 0). */
export function meshListen(c: NodeConfig, host = c.listen.host): { host: string; port: number } {
  return c.mesh.listen ?? { host, port: c.listen.port === 0 ? 0 : c.listen.port + 1 };
}

/** Faster timings for tests: port 0, short backoffs and cooldowns. */
export function localNodeConfig(): NodeConfig {
  const c = defaultNodeConfig();
  c.listen = { host: '127.0.0.1', port: 0 };
  c.auth.jwksCooldownMs = 1_000;
  c.heartbeat = { backoffBaseMs: 50, backoffMaxMs: 1_000, jitter: 0.2 };
  c.runtime = {
    ...c.runtime,
    restartBaseMs: 50,
    stableAfterMs: 5_000,
    stopGraceMs: 1_000,
    readyTimeoutMs: 10_000,
  };
  c.mesh.timings = localMeshConfig();
  c.forward = localForwardConfig();
  // Unit and API tests exercise the lifecycle without isolation; the sandbox has tests of its own.
  c.isolation = 'process';
  return c;
}

/** Listen host meaning "this machine's Tailscale IP" (resolved through the LocalAPI at start). */
export const TAILNET_HOST = 'tailnet';

/** Raised when a flag or variable is missing or malformed; the message names it. */
export class ConfigError extends Error {
  readonly code = 'invalid_config';
}

const ListenSchema = v.pipe(
  v.string(),
  v.regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port'),
  v.transform((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  }),
  v.check((l) => l.port <= 65535, 'port must be at most 65535'),
);
const BooleanSchema = v.pipe(
  v.picklist(['true', 'false', '1', '0']),
  v.transform((s) => s === 'true' || s === '1'),
);
const UrlSchema = v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//, 'must be an http(s) URL'));

/** Flags of `warren node join`, each with the environment variable that can supply it instead. */
const FLAGS = {
  control: 'WARREN_CONTROL_URL',
  'join-token': 'WARREN_JOIN_TOKEN',
  name: 'WARREN_NODE_NAME',
  data: 'WARREN_NODE_DATA',
  listen: 'WARREN_NODE_LISTEN',
  network: 'WARREN_NETWORK',
  advertise: 'WARREN_NODE_ADVERTISE_URL',
  'base-domain': 'WARREN_BASE_DOMAIN',
  'allow-path-apps': 'WARREN_ALLOW_PATH_APPS',
  'exit-with-parent': 'WARREN_EXIT_WITH_PARENT',
  capacity: 'WARREN_NODE_CAPACITY',
  'tailscale-socket': 'WARREN_TAILSCALE_SOCKET',
  'join-token-file': 'WARREN_JOIN_TOKEN_FILE',
  'mesh-listen': 'WARREN_MESH_LISTEN',
  runtime: 'WARREN_RUNTIME',
  'workspace-subnet': 'WARREN_WORKSPACE_SUBNET',
  'sandbox-hide': 'WARREN_SANDBOX_HIDE',
  'sandbox-read-only': 'WARREN_SANDBOX_READ_ONLY',
  'workspace-memory-mb': 'WARREN_WORKSPACE_MEMORY_MB',
  'workspace-pids': 'WARREN_WORKSPACE_PIDS',
  'workspace-cpus': 'WARREN_WORKSPACE_CPUS',
} as const;
type Flag = keyof typeof FLAGS;
const BOOLEAN_FLAGS = ['laptop', 'allow-path-apps', 'exit-with-parent'] as const;

/** Parses `--flag value` / `--flag=value` arguments and the environment into a NodeConfig; throws ConfigError. */
export function nodeConfigFromArgs(
  args: string[],
  env: Record<string, string | undefined> = process.env,
): NodeConfig {
  const given = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new ConfigError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    let key = a.slice(2, eq < 0 ? undefined : eq);
    if ((BOOLEAN_FLAGS as readonly string[]).includes(key)) {
      given.set(key, eq < 0 ? 'true' : a.slice(eq + 1));
      continue;
    }
    // `--token` is what the control plane's join-token command prints; it means `--join-token`.
    if (key === 'token') key = 'join-token';
    if (!(key in FLAGS)) throw new ConfigError(`unknown flag --${key}`);
    const value = eq < 0 ? args[++i] : a.slice(eq + 1);
    if (value === undefined) throw new ConfigError(`--${key} needs a value`);
    given.set(key, value);
  }
  const get = (f: Flag) => given.get(f) ?? env[FLAGS[f]];
  const where = (f: Flag) => `--${f} (or ${FLAGS[f]})`;
  const c = defaultNodeConfig();

  const control = get('control');
  if (!control) throw new ConfigError(`${where('control')} is required: the control plane URL`);
  c.controlUrl = parse(UrlSchema, control, where('control')).replace(/\/+$/, '');
  c.joinToken = get('join-token') || undefined;
  const name = get('name');
  if (name) c.name = name;
  // WARREN_DATA_DIR too: what a cloud node's systemd unit sets (control/providers/cloud-init.ts).
  const data = get('data') ?? env.WARREN_DATA_DIR;
  if (data) c.dataDir = data;
  const tokenFile = get('join-token-file');
  if (tokenFile) {
    c.joinTokenFile = tokenFile;
    if (!c.joinToken) c.joinToken = readTokenFile(tokenFile, where('join-token-file'));
  }
  const listen = get('listen');
  if (listen) c.listen = parse(ListenSchema, listen, where('listen'));
  const network = get('network');
  if (network) c.network = parse(v.picklist(['direct', 'tailscale']), network, where('network'));
  if (c.network === 'tailscale' && !listen) c.listen = { host: TAILNET_HOST, port: c.listen.port };
  const socket = get('tailscale-socket');
  if (socket) c.tailscaleSocket = socket;
  const advertise = get('advertise');
  if (advertise) c.advertiseUrl = parse(UrlSchema, advertise, where('advertise')).replace(/\/+$/, '');
  const baseDomain = get('base-domain');
  if (baseDomain) c.baseDomain = parse(BaseDomain, baseDomain, where('base-domain'));
  const capacity = get('capacity');
  if (capacity)
    c.capacity = parse(
      v.pipe(
        v.string(),
        v.transform(Number),
        v.integer('must be an integer'),
        v.minValue(0),
        v.maxValue(10_000),
      ),
      capacity,
      where('capacity'),
    );
  const origins = env.WARREN_GIT_ALLOWED_ORIGINS;
  if (origins)
    c.git.allowedOrigins = origins
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean)
      .map((o) =>
        parse(
          v.pipe(v.string(), v.regex(/^https?:\/\/[^/\s]+$/, 'must be protocol://host[:port] origins')),
          o,
          'WARREN_GIT_ALLOWED_ORIGINS',
        ).toLowerCase(),
      );
  const idle = env.WARREN_AGENT_TURN_IDLE_TIMEOUT_MS;
  if (idle)
    c.agent.turnIdleTimeoutMs = parse(
      v.pipe(v.string(), v.transform(Number), v.integer('must be an integer'), v.minValue(100)),
      idle,
      'WARREN_AGENT_TURN_IDLE_TIMEOUT_MS',
    );
  const wholeMs = (min: number) =>
    v.pipe(v.string(), v.transform(Number), v.integer('must be an integer'), v.minValue(min));
  const needsInput = env.WARREN_AGENT_NEEDS_INPUT_MS;
  if (needsInput) c.agent.needsInputAfterMs = parse(wholeMs(0), needsInput, 'WARREN_AGENT_NEEDS_INPUT_MS');
  const scrollback = env.WARREN_TERMINAL_SCROLLBACK_BYTES;
  if (scrollback)
    c.terminal.scrollbackBytes = parse(
      v.pipe(wholeMs(1024), v.maxValue(64 * 1024 * 1024, 'must be at most 64 MiB')),
      scrollback,
      'WARREN_TERMINAL_SCROLLBACK_BYTES',
    );
  const grace = env.WARREN_TERMINAL_DETACH_GRACE_MS;
  if (grace) c.terminal.detachGraceMs = parse(wholeMs(0), grace, 'WARREN_TERMINAL_DETACH_GRACE_MS');
  const logBytes = env.WARREN_WORKSPACE_LOG_MAX_BYTES;
  const logFiles = env.WARREN_WORKSPACE_LOG_FILES;
  if (logBytes || logFiles) {
    const logs = { ...defaultWorkspaceLogsConfig(), ...c.runtime.logs };
    const whole = (min: number, max: number) =>
      v.pipe(
        v.string(),
        v.transform(Number),
        v.integer('must be an integer'),
        v.minValue(min),
        v.maxValue(max),
      );
    if (logBytes) logs.maxBytes = parse(whole(4096, 1 << 30), logBytes, 'WARREN_WORKSPACE_LOG_MAX_BYTES');
    if (logFiles) logs.files = parse(whole(1, 100), logFiles, 'WARREN_WORKSPACE_LOG_FILES');
    c.runtime.logs = logs;
  }
  const meshAt = get('mesh-listen');
  if (meshAt) c.mesh.listen = parse(ListenSchema, meshAt, where('mesh-listen'));
  c.mesh.timings = meshTimingsFromEnv(env);
  const window = env.WARREN_MESH_CONVERGE_WINDOW_MS;
  if (window)
    c.mesh.convergeWindowMs = parse(
      v.pipe(
        v.string(),
        v.transform(Number),
        v.integer('must be an integer'),
        v.minValue(0),
        v.maxValue(600_000),
      ),
      window,
      'WARREN_MESH_CONVERGE_WINDOW_MS',
    );
  if (env.WARREN_FORWARD_CONFIG) c.forward = forwardConfigFrom(env.WARREN_FORWARD_CONFIG, c.forward);
  const runtime = get('runtime');
  if (runtime) c.isolation = parse(v.picklist(['sandbox', 'process']), runtime, where('runtime'));
  const subnet = get('workspace-subnet');
  if (subnet)
    c.sandbox.subnet = parse(
      v.pipe(
        v.string(),
        v.regex(
          /^\d{1,3}(\.\d{1,3}){3}\/(8|9|[12]\d|30)$/,
          'must be an IPv4 block a.b.c.d/n with 8 ≤ n ≤ 30',
        ),
      ),
      subnet,
      where('workspace-subnet'),
    );
  const hide = get('sandbox-hide');
  if (hide)
    c.sandbox.hidden = hide
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
  const limit = (f: Flag, min: number, max: number, integer: boolean) => {
    const raw = get(f);
    if (!raw) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
      throw new ConfigError(
        `${where(f)}: must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max} (got "${raw}")`,
      );
    return n;
  };
  c.runtime.limits = {
    memoryMb: limit('workspace-memory-mb', 64, 262_144, true) ?? c.runtime.limits.memoryMb,
    pids: limit('workspace-pids', 16, 1_000_000, true) ?? c.runtime.limits.pids,
    cpus: limit('workspace-cpus', 0.1, 256, false) ?? c.runtime.limits.cpus,
  };
  const laptop = given.get('laptop') ?? env.WARREN_NODE_LAPTOP;
  if (laptop) c.laptop = parse(BooleanSchema, laptop, '--laptop');
  const pathApps = get('allow-path-apps');
  if (pathApps) c.allowPathApps = parse(BooleanSchema, pathApps, where('allow-path-apps'));
  const withParent = get('exit-with-parent');
  if (withParent) c.exitWithParent = parse(BooleanSchema, withParent, where('exit-with-parent'));
  return c;
}

/** WARREN_MESH_PROFILE (`default` | `local`) picks the preset; WARREN_MESH_CONFIG (JSON) overrides single knobs. */
export function meshTimingsFromEnv(env: Record<string, string | undefined>): MeshConfig {
  try {
    return meshConfigFrom(env.WARREN_MESH_PROFILE || undefined, env.WARREN_MESH_CONFIG || undefined);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

const Knob = v.optional(
  v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1, 'must be at least 1')),
);
const ForwardOverrides = v.strictObject({
  connectTimeoutMs: Knob,
  firstByteTimeoutMs: Knob,
  breakerFailures: Knob,
  breakerCooldownMs: Knob,
  breakerMaxCooldownMs: Knob,
  maxInFlightPerHost: Knob,
} satisfies Record<keyof ForwardConfig, typeof Knob>);

/** WARREN_FORWARD_CONFIG: a JSON object of ForwardConfig knobs (whole milliseconds and counts, all ≥ 1). */
export function forwardConfigFrom(json: string, base: ForwardConfig): ForwardConfig {
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch {
    throw new ConfigError('WARREN_FORWARD_CONFIG must be a JSON object');
  }
  const r = v.safeParse(ForwardOverrides, input);
  if (!r.success) {
    const issue = r.issues[0];
    const key = issue?.path?.map((p) => String(p.key)).join('.');
    throw new ConfigError(
      `WARREN_FORWARD_CONFIG${key ? `: ${key}` : ''}: ${issue?.message ?? 'invalid'} (known: ${Object.keys(base).join(', ')})`,
    );
  }
  const out = { ...base };
  for (const [k, val] of Object.entries(r.output)) if (val !== undefined) out[k as keyof ForwardConfig] = val;
  return out;
}

/** The token in a join-token file; a missing file is fine once joined (the token was spent and deleted). */
function readTokenFile(path: string, name: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const token = readFileSync(path, 'utf8').trim();
  if (!token) throw new ConfigError(`${name}: ${path} is empty`);
  return token;
}

function parse<S extends v.GenericSchema>(schema: S, input: string, name: string): v.InferOutput<S> {
  const r = v.safeParse(schema, input);
  if (!r.success) throw new ConfigError(`${name}: ${r.issues[0]?.message ?? 'invalid'} (got "${input}")`);
  return r.output;
}

function baseEnv(): Record<string, string> {
  const out: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  for (const k of ['LANG', 'LC_ALL', 'TZ']) {
    const val = process.env[k];
    if (val) out[k] = val;
  }
  return out;
}

function hostName(): string {
  const h = hostname();
  const cleaned = h.replace(/[^A-Za-z0-9 ._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (cleaned || 'node').slice(0, 64);
}
