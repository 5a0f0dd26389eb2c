import { resolve } from 'node:path';
import type { NodeInfo } from '../contract/index.ts';
import { lockDataDir } from '../disk/index.ts';
import { loadOrCreateAdminCredential } from './admin-credential.ts';
import { startNodeAgents } from './agents.ts';
import { createNodeApi } from './api/index.ts';
import { CommandVerifier, KeySet, Revocations, TokenVerifier } from './auth/index.ts';
import { Closers } from './closers.ts';
import { meshListen, type NodeConfig, TAILNET_HOST } from './config.ts';
import { createControlLink } from './control-link.ts';
import { createNodeProver } from './control-proof.ts';
import { secureNodeDataDir } from './data-dir.ts';
import { defaultGitCredentialConfig, startWorkspaceGit, type WorkspaceGit } from './git/index.ts';
import { loadOrCreateIdentity } from './identity.ts';
import { NodeMembership } from './membership.ts';
import { type NodeMesh, renderMeshMetrics, startNodeMesh } from './mesh-member.ts';
import { Metrics } from './metrics.ts';
import {
  badHost,
  createSocketHandler,
  LiveSessions,
  type MeshRoutes,
  NOT_A_WORKSPACE,
  originOf,
  type SocketData,
  startRawFront,
  unexpectedError,
  validHost,
  WorkspaceProxy,
} from './proxy/index.ts';
import { StateStore } from './state-store.ts';
import {
  createLocalApiClient,
  type LocalApiClient,
  type TailnetAdvertisement,
  tailnetAdvertisement,
} from './tailscale/index.ts';
import { NODE_VERSION } from './version.ts';
import {
  createProcessIsolation,
  createSandboxIsolation,
  createWorkspaceRuntime,
  type Isolation,
  Placement,
  type Runtime,
  TerminalSessions,
} from './workspaces/index.ts';

/** A started node. */
export interface RunningNode {
  /** Where the proxy and node API listen, e.g. `http://127.0.0.1:7420`. */
  readonly url: string;
  readonly nodeId: string;
  readonly dataDir: string;
  readonly runtime: Runtime;
  readonly verifier: TokenVerifier;
  /** Host path of a workspace's git credential socket while it is served (tests connect to it). */
  gitSocket(workspaceId: string): string | undefined;
  /** The node's mesh member (address, registry, membership). */
  readonly mesh: NodeMesh;
  /** Sends a heartbeat now and resolves when it has been answered (or failed). */
  heartbeatNow(): Promise<void>;
  /** Stops serving and ends every workspace process; state stays in the data dir for the next start. */
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  /** Log lines (never secrets); default stderr. */
  log?: (line: string) => void;
  /** How long to keep trying to join while the control plane is unreachable. */
  joinTimeoutMs?: number;
}

/**
 * Starts a node: joins (first time) or resumes its membership, restores workspaces, serves, heartbeats. The data
 * dir is locked first and until `stop()`: a second node on it throws DataDirLockedError (naming the holder's pid)
 * before it touches anything, since its start would end the first one's workspaces as leftovers of a crash.
 *
 * Every part registers its closer right after it has started; a start that fails at any stage drains them and
 * rethrows, so it leaves no process, listener or lock behind, and `stop()` drains the same list.
 */
export async function startNode(config: NodeConfig, options: StartNodeOptions = {}): Promise<RunningNode> {
  const log = options.log ?? ((line: string) => console.error(`[node] ${line}`));
  secureNodeDataDir(config.dataDir, log);
  const lock = lockDataDir(config.dataDir);
  const closers = new Closers(log);
  closers.add('data dir lock', () => lock.release());
  try {
    return await startParts(config, options, log, closers);
  } catch (e) {
    await closers.drain();
    throw e;
  }
}

async function startParts(
  config: NodeConfig,
  options: StartNodeOptions,
  log: (line: string) => void,
  closers: Closers,
): Promise<RunningNode> {
  const store = new StateStore(config.dataDir);
  const identity = await loadOrCreateIdentity(config.dataDir);
  // Every call with the certificate carries a proof signed with the node's key: the certificate alone is public.
  const prove = createNodeProver(identity.privateKey);
  const link = createControlLink(config.controlUrl, { prove });
  const metrics = new Metrics();
  let nodeMesh: NodeMesh | undefined;
  // The control plane's key set, or — while it is unreachable — the one gossiped in the registry.
  const keys = new KeySet(
    () =>
      link.jwks().catch((e: unknown) => {
        const gossiped = nodeMesh?.registryKeys();
        if (gossiped) return gossiped;
        throw e;
      }),
    config.auth.jwksCooldownMs,
  );
  const revocations = new Revocations();
  const membership = new NodeMembership({ config, store, link, keys, revocations, log });
  await membership.restoreKeys();
  const certificate = () => membership.current?.certificate ?? '';
  const verifier = new TokenVerifier({
    keys,
    revocations,
    issuer: () => membership.current?.issuer,
    cacheSize: config.auth.cacheSize,
    clockToleranceSec: config.auth.clockToleranceSec,
  });
  // Open terminal, agent and app sockets end when their token expires or is revoked.
  const sessions = new LiveSessions({ verifier, intervalMs: config.auth.sessionCheckMs });
  closers.add('live sessions', () => sessions.stop());
  revocations.onChange(() => sessions.sweep());
  const commands = new CommandVerifier(
    keys,
    () => membership.current && { nodeId: membership.current.nodeId, issuer: membership.current.issuer },
    config.auth.clockToleranceSec,
  );
  // Git credentials for every workspace this node hosts: tokens come from the control plane with the node
  // certificate, are cached through control-plane blips, and reach git only via the workspace's own socket.
  const git: WorkspaceGit = startWorkspaceGit({
    controlUrl: config.controlUrl,
    certificate,
    prove,
    workspaces: { get: (id) => runtime.get(id) },
    credentials: { ...defaultGitCredentialConfig(), allowedOrigins: config.git.allowedOrigins },
  });
  closers.add('git credentials', () => git.stop());
  const isolation = createIsolation(config, log);
  // Whatever a crashed earlier run left (namespaces, rules, cgroups, processes) goes before anything starts.
  await isolation.reconcile();
  const runtime = createWorkspaceRuntime(config.dataDir, config.runtime, isolation, {
    // The workspace's socket folder: on the host for the node, and where its processes see it.
    environment: (id, env, prepared) => git.environment(id, env.PATH ?? '', prepared),
    ended: (id) => git.ended(id),
  });
  closers.add('workspace runtime', () => runtime.shutdown());
  const placement = new Placement(runtime, store, log);
  // Reconnecting terminals: each shell outlives its socket for the grace period, with its output kept to replay.
  const terminals = new TerminalSessions({
    runtime,
    config: config.terminal,
    launcher: config.runtime.shell,
    shellOf: (id) => placement.spec(id)?.shell,
  });
  closers.add('terminals', () => terminals.closeAll());
  // Local port of each raw-front tunnel → the real client's address.
  const clientAddresses = new Map<number, string>();
  // Pages that may open a workspace's WebSockets with its cookie, besides the app's own origin.
  const origins = { controlOrigin: originOf(config.controlUrl), allowPathApps: config.allowPathApps };
  // The registry view of both paths: the full server's forwards and the raw front's.
  const meshRoutes: MeshRoutes = {
    get selfId() {
      return membership.current?.nodeId ?? '';
    },
    route: (id) => nodeMesh?.mesh.route(id) ?? { found: false },
    state: (id) => nodeMesh?.mesh.member(id)?.state,
    reportUnreachable: (id) => nodeMesh?.mesh.reportUnreachable(id),
  };
  const proxy = new WorkspaceProxy({
    verifier,
    runtime,
    baseDomain: config.baseDomain,
    metrics,
    mesh: meshRoutes,
    // Until its mesh member has started and synced, this node knows of no workspace elsewhere.
    convergence: { inSync: () => nodeMesh?.inSync() ?? false, windowMs: config.mesh.convergeWindowMs },
    forward: config.forward,
    clientAddress: (req, srv) => {
      const ip = srv.requestIP(req);
      return ip ? (clientAddresses.get(ip.port) ?? ip.address) : '';
    },
    agentSearch: (id, q) => agents.search(id, q),
    terminals,
    ...origins,
  });
  closers.add('proxy', () => proxy.close());
  // Agents of the workspaces that name one: chat on `/w/{id}/_agent`, tasks from the control plane.
  const agents = await startNodeAgents({
    dataDir: config.dataDir,
    config: config.agent,
    runtime,
    spec: (id) => placement.spec(id),
    shell: config.runtime.shell,
    reportTask: (taskId, report) => link.reportTask(taskId, certificate(), report),
    reportActivity: (id, report) => link.reportActivity(id, certificate(), report),
    reportTaskInput: (taskId, needsInput) => link.reportTaskInput(taskId, certificate(), { needsInput }),
    log,
  });
  closers.add('agents', () => agents.close());
  let address = config.advertiseUrl ?? '';
  const info = (): NodeInfo => ({
    nodeId: membership.current?.nodeId ?? null,
    name: config.name,
    address,
    version: NODE_VERSION,
    laptop: config.laptop,
    capacity: { workspaces: config.capacity },
    workspaces: placement.size,
  });
  // The mesh views take a control command token or this credential from the data dir: loopback proves nothing.
  const adminCredential = loadOrCreateAdminCredential(config.dataDir);
  const api = createNodeApi({
    version: NODE_VERSION,
    verifyCommand: (t) => commands.verify(t),
    verifyAdmin: (t) => adminCredential.matches(t),
    info,
    workspaces: () => runtime.reports(),
    apply: (spec) => placement.apply(spec),
    metrics: () => metrics.render(),
    agentTasks: agents.tasks,
    agentPermissions: agents.permissions,
    mesh: () => nodeMesh?.mesh.status(),
    registry: () => nodeMesh?.mesh.entries() ?? [],
  });
  registerGauges(metrics, runtime, verifier, keys);

  // `--network tailscale`: the tailnet identity comes first, it decides what to bind and what to advertise.
  let tailnet: TailnetAdvertisement | undefined;
  let tailscaled: LocalApiClient | undefined;
  if (config.network === 'tailscale') {
    tailscaled = createLocalApiClient({ socketPath: config.tailscaleSocket });
    tailnet = await tailnetAdvertisement(tailscaled, config.listen.port);
    log(`on the tailnet as ${tailnet.dnsName || tailnet.ip} (${tailnet.stableId})`);
  }
  const listenHost = config.listen.host === TAILNET_HOST && tailnet ? tailnet.ip : config.listen.host;
  // With the fast path, the full server listens on loopback only and the raw front owns the public address.
  const server = Bun.serve<SocketData>({
    hostname: config.fastPath ? '127.0.0.1' : listenHost,
    port: config.fastPath ? 0 : config.listen.port,
    // Streamed responses and quiet WebSockets must not be cut after Bun's default 10 s.
    idleTimeout: 120,
    // Never Bun's error page (source lines, whatever NODE_ENV says): errors leave in the one JSON shape.
    development: false,
    fetch(req, srv) {
      // Without a usable Host, Bun's req.url is not a URL at all: refused before anything routes or parses it.
      if (!validHost(req.headers.get('host'))) return badHost();
      const r = proxy.handle(req, srv);
      if (r !== NOT_A_WORKSPACE) return r;
      return api.fetch(req);
    },
    error(e) {
      // The stack's frames only: a message may quote the request (a URL with its token).
      log(`request failed: ${e.name}${(e.stack ?? '').split('\n').slice(1, 4).join(' ')}`);
      return unexpectedError(e);
    },
    websocket: createSocketHandler(runtime, terminals, sessions, agents.sockets),
  });
  const stopServer = once(() => server.stop(true));
  closers.add('server', stopServer);
  const front = config.fastPath
    ? startRawFront({
        hostname: listenHost,
        port: config.listen.port,
        internalPort: server.port!,
        baseDomain: config.baseDomain,
        verifier,
        runtime,
        metrics,
        clientAddresses,
        ...origins,
        sessions,
        // One breaker and in-flight cap per host for both paths.
        mesh: proxy.hop && { routes: meshRoutes, hop: proxy.hop },
      })
    : undefined;
  const stopFront = once(() => front?.stop());
  closers.add('raw front', stopFront);
  // Peers and the control plane reach a tailscale node at its tailnet address, whatever it is bound to.
  const port = front?.port ?? server.port ?? config.listen.port;
  address ||= tailnet ? tailnetUrl(tailnet.ip, port) : `http://${hostPart(listenHost)}:${port}`;

  const { membership: joined, seeds } = await membership.establish(
    identity.publicJwk,
    address,
    runtime.kind,
    options.joinTimeoutMs ?? 60_000,
  );
  placement.restore();

  const theMesh = await startNodeMesh({
    listen: meshListen(config, listenHost),
    timings: config.mesh.timings,
    nodeId: joined.nodeId,
    name: config.name,
    issuer: joined.issuer,
    key: identity.meshKey,
    certificate: joined.certificate,
    jwks: joined.jwks,
    proxyUrl: address,
    keys,
    revocations,
    controlRevocations: joined.revocations,
    log,
    ...(tailscaled ? { tailnet: tailscaled } : {}),
  });
  nodeMesh = theMesh;
  // The leave is the last word the control plane hears: a heartbeat handled after it would read as a node still
  // running but cut off from the mesh (partitioned). So the heartbeat, registered after it, stops first.
  closers.add('mesh member', () => theMesh.close());
  metrics.gauge(() => renderMeshMetrics(theMesh.mesh, theMesh.tailnetRejections));
  theMesh.syncWorkspaces(runtime.reports());
  void theMesh.joinSeeds(seeds).catch((e) => log(`mesh join failed: ${(e as Error).message}`));

  membership.startHeartbeat({ runtime, placement, mesh: theMesh, address });
  closers.add('heartbeat', () => membership.stopHeartbeat());
  // A stop takes no more requests before anything else ends (their closers above then find nothing to do).
  closers.add('requests', () => {
    stopFront();
    stopServer();
  });

  return {
    url: address,
    nodeId: joined.nodeId,
    dataDir: config.dataDir,
    runtime,
    verifier,
    gitSocket: (id) => git.socket(id),
    mesh: theMesh,
    heartbeatNow: () => membership.heartbeatNow(),
    stop: () => closers.drain(),
  };
}

/** `f` on its first call only: a part whose closer is registered twice (start and stop order) stops once. */
function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

/** The isolation the config asks for, with a warning where it is weaker than a full sandbox. */
function createIsolation(config: NodeConfig, log: (line: string) => void): Isolation {
  if (config.isolation === 'process') {
    log(
      "WARNING: --runtime process: workspaces run as this node's user without isolation; any of them can read " +
        "this node's keys and the other workspaces' files. Use it only where the sandbox cannot run (macOS).",
    );
    return createProcessIsolation(resolve(config.dataDir, 'run'));
  }
  const isolation = createSandboxIsolation(config.dataDir, {
    ...config.sandbox,
    shell: config.runtime.shell,
  });
  if (isolation.kind === 'sandbox-shared-network')
    log(
      'warning: not running as root: workspaces are sandboxed (namespaces, own mount view) but share this ' +
        "machine's network and this node's uid; run the node as root for a uid and network namespace per workspace.",
    );
  return isolation;
}

function hostPart(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** `http://<tailnet ip>:<port>`, as tailnetAdvertisement builds it, for the port actually bound. */
function tailnetUrl(ip: string, port: number): string {
  return `http://${hostPart(ip)}:${port}`;
}

function registerGauges(metrics: Metrics, runtime: Runtime, verifier: TokenVerifier, keys: KeySet): void {
  metrics.gauge(() => {
    const byStatus = new Map<string, number>();
    for (const r of runtime.reports()) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    const lines = ['# TYPE warren_workspaces gauge'];
    for (const [s, n] of byStatus) lines.push(`warren_workspaces{status="${s}"} ${n}`);
    lines.push(
      '# TYPE warren_token_cache_entries gauge',
      `warren_token_cache_entries ${verifier.cacheSize}`,
      '# TYPE warren_token_verifications_total counter',
      `warren_token_verifications_total{cached="true"} ${verifier.stats.cached}`,
      `warren_token_verifications_total{cached="false"} ${verifier.stats.verified}`,
      '# TYPE warren_token_refusals_total counter',
      ...[...verifier.stats.refused].map(([r, n]) => `warren_token_refusals_total{reason="${r}"} ${n}`),
      '# TYPE warren_jwks_fetches_total counter',
      `warren_jwks_fetches_total ${keys.fetches}`,
      `warren_jwks_fetch_failures_total ${keys.fetchFailures}`,
    );
    return lines.join('\n');
  });
}
