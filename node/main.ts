// The node's composition root: identity, membership, key set, runtime, proxy, API and heartbeat wired together.
import { rmSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { decodeJwt } from 'jose';
import type { HeartbeatAck, NodeInfo, NodeJoined } from '../contract/index.ts';
import { lockDataDir } from '../disk/index.ts';
import { loadOrCreateAdminCredential } from './admin-credential.ts';
import { startNodeAgents } from './agents.ts';
import { createNodeApi } from './api/index.ts';
import { CommandVerifier, KeySet, Revocations, TokenVerifier } from './auth/index.ts';
import { ConfigError, meshListen, type NodeConfig, TAILNET_HOST } from './config.ts';
import { ControlError, createControlLink } from './control-link.ts';
import { createNodeProver } from './control-proof.ts';
import { secureNodeDataDir } from './data-dir.ts';
import { defaultGitCredentialConfig, startWorkspaceGit, type WorkspaceGit } from './git/index.ts';
import { HeartbeatLoop } from './heartbeat.ts';
import { loadOrCreateIdentity } from './identity.ts';
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
import { type Membership, StateStore } from './state-store.ts';
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
  type IsolationKind,
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
 */
export async function startNode(config: NodeConfig, options: StartNodeOptions = {}): Promise<RunningNode> {
  const log = options.log ?? ((line: string) => console.error(`[node] ${line}`));
  secureNodeDataDir(config.dataDir, log);
  const lock = lockDataDir(config.dataDir);
  let node: RunningNode;
  try {
    node = await startLockedNode(config, options, log);
  } catch (e) {
    lock.release();
    throw e;
  }
  const stop = node.stop;
  return Object.assign(node, {
    async stop() {
      try {
        await stop();
      } finally {
        lock.release();
      }
    },
  });
}

async function startLockedNode(
  config: NodeConfig,
  options: StartNodeOptions,
  log: (line: string) => void,
): Promise<RunningNode> {
  const store = new StateStore(config.dataDir);
  const identity = await loadOrCreateIdentity(config.dataDir);
  let membership = store.loadMembership();
  if (!membership && !config.joinToken) {
    throw new ConfigError(
      '--join-token (or WARREN_JOIN_TOKEN) is required: this data dir has not joined yet',
    );
  }
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
  if (membership) {
    await keys.replace(membership.jwks);
    revocations.replace(membership.revocations);
  }
  const verifier = new TokenVerifier({
    keys,
    revocations,
    issuer: () => membership?.issuer,
    cacheSize: config.auth.cacheSize,
    clockToleranceSec: config.auth.clockToleranceSec,
  });
  // Open terminal, agent and app sockets end when their token expires or is revoked.
  const sessions = new LiveSessions({ verifier, intervalMs: config.auth.sessionCheckMs });
  revocations.onChange(() => sessions.sweep());
  const commands = new CommandVerifier(
    keys,
    () => membership && { nodeId: membership.nodeId, issuer: membership.issuer },
    config.auth.clockToleranceSec,
  );
  // Git credentials for every workspace this node hosts: tokens come from the control plane with the node
  // certificate, are cached through control-plane blips, and reach git only via the workspace's own socket.
  const git: WorkspaceGit = startWorkspaceGit({
    controlUrl: config.controlUrl,
    certificate: () => membership?.certificate ?? '',
    prove,
    workspaces: { get: (id) => runtime.get(id) },
    credentials: { ...defaultGitCredentialConfig(), allowedOrigins: config.git.allowedOrigins },
  });
  let isolation: Isolation;
  try {
    isolation = createIsolation(config, log);
    // Whatever a crashed earlier run left (namespaces, rules, cgroups, processes) goes before anything starts.
    await isolation.reconcile();
  } catch (e) {
    await git.stop();
    throw e;
  }
  const runtime = createWorkspaceRuntime(config.dataDir, config.runtime, isolation, {
    // The workspace's socket folder: on the host for the node, and where its processes see it.
    environment: (id, env, prepared) => git.environment(id, env.PATH ?? '', prepared),
    ended: (id) => git.ended(id),
  });
  const placement = new Placement(runtime, store, log);
  // Reconnecting terminals: each shell outlives its socket for the grace period, with its output kept to replay.
  const terminals = new TerminalSessions({
    runtime,
    config: config.terminal,
    launcher: config.runtime.shell,
    shellOf: (id) => placement.spec(id)?.shell,
  });
  // Local port of each raw-front tunnel → the real client's address.
  const clientAddresses = new Map<number, string>();
  // Pages that may open a workspace's WebSockets with its cookie, besides the app's own origin.
  const origins = { controlOrigin: originOf(config.controlUrl), allowPathApps: config.allowPathApps };
  // The registry view of both paths: the full server's forwards and the raw front's.
  const meshRoutes: MeshRoutes = {
    get selfId() {
      return membership?.nodeId ?? '';
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
  // Agents of the workspaces that name one: chat on `/w/{id}/_agent`, tasks from the control plane.
  const agents = await startNodeAgents({
    dataDir: config.dataDir,
    config: config.agent,
    runtime,
    spec: (id) => placement.spec(id),
    shell: config.runtime.shell,
    reportTask: (taskId, report) => link.reportTask(taskId, membership?.certificate ?? '', report),
    reportActivity: (id, report) => link.reportActivity(id, membership?.certificate ?? '', report),
    log,
  });
  let address = config.advertiseUrl ?? '';
  const info = (): NodeInfo => ({
    nodeId: membership?.nodeId ?? null,
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
    mesh: () => nodeMesh?.mesh.status(),
    registry: () => nodeMesh?.mesh.entries() ?? [],
  });
  registerGauges(metrics, runtime, verifier, keys);

  // `--network tailscale`: the tailnet identity comes first, it decides what to bind and what to advertise.
  let tailnet: TailnetAdvertisement | undefined;
  let tailscaled: LocalApiClient | undefined;
  if (config.network === 'tailscale') {
    try {
      tailscaled = createLocalApiClient({ socketPath: config.tailscaleSocket });
      tailnet = await tailnetAdvertisement(tailscaled, config.listen.port);
    } catch (e) {
      await git.stop();
      throw e;
    }
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
  // Peers and the control plane reach a tailscale node at its tailnet address, whatever it is bound to.
  const port = front?.port ?? server.port ?? config.listen.port;
  address ||= tailnet ? tailnetUrl(tailnet.ip, port) : `http://${hostPart(listenHost)}:${port}`;

  let pendingSeeds: string[] | undefined;
  try {
    if (!membership) {
      const joined = await joinWithRetry(
        config,
        identity.publicJwk,
        address,
        link,
        options.joinTimeoutMs ?? 60_000,
        log,
        runtime.kind,
      );
      membership = membershipFrom(config.controlUrl, joined);
      pendingSeeds = joined.meshSeeds;
      store.saveMembership(membership);
      // The token is spent: a file that held it goes, so nothing on disk can be replayed or leaked later.
      if (config.joinTokenFile) rmSync(config.joinTokenFile, { force: true });
      await keys.replace(joined.jwks);
      log(`joined as ${joined.nodeId} (${config.name}), serving on ${address}`);
    } else {
      membership.controlUrl = config.controlUrl;
      log(`resuming as ${membership.nodeId}, serving on ${address}`);
    }
  } catch (e) {
    front?.stop();
    server.stop(true);
    await git.stop();
    await agents.close();
    throw e;
  }
  placement.restore();

  // Fresh seeds from the join answer, else the ones saved with the last heartbeat (the control plane may be down).
  const joinedSeeds = pendingSeeds ?? membership.meshSeeds;
  nodeMesh = await startNodeMesh({
    listen: meshListen(config, listenHost),
    timings: config.mesh.timings,
    nodeId: membership.nodeId,
    name: config.name,
    issuer: membership.issuer,
    key: identity.meshKey,
    certificate: membership.certificate,
    jwks: membership.jwks,
    proxyUrl: address,
    keys,
    revocations,
    controlRevocations: membership.revocations,
    log,
    ...(tailscaled ? { tailnet: tailscaled } : {}),
  }).catch(async (e) => {
    server.stop(true);
    await git.stop();
    await runtime.shutdown();
    throw e;
  });
  const theMesh = nodeMesh;
  metrics.gauge(() => renderMeshMetrics(theMesh.mesh, theMesh.tailnetRejections));
  theMesh.syncWorkspaces(runtime.reports());
  void theMesh.joinSeeds(joinedSeeds).catch((e) => log(`mesh join failed: ${(e as Error).message}`));

  const m = (): Membership => membership!;
  let waiters: (() => void)[] = [];
  const beat = async (): Promise<number> => {
    // Only callers waiting before this beat began are answered by it: its ack may predate later changes.
    const answered = waiters;
    waiters = [];
    try {
      const ack = await link.heartbeat(m().nodeId, m().certificate, {
        workspaces: runtime.reports(),
        renew: pastHalfLife(m().certificate),
        address,
        load: load(),
        isolation: runtime.kind,
        baseDomain: config.baseDomain,
      });
      await applyAck(ack);
      return ack.heartbeatIntervalMs;
    } finally {
      for (const f of answered) f();
    }
  };
  const applyAck = async (ack: HeartbeatAck): Promise<void> => {
    await keys.replace(ack.jwks);
    if (nodeMesh) nodeMesh.controlRevocations(ack.revocations);
    else revocations.replace(ack.revocations);
    const next: Membership = {
      ...m(),
      jwks: ack.jwks,
      revocations: ack.revocations,
      heartbeatIntervalMs: ack.heartbeatIntervalMs,
      ...(ack.meshSeeds ? { meshSeeds: ack.meshSeeds } : {}),
    };
    if (ack.certificate && ack.certificateExpiresAt) {
      next.certificate = ack.certificate;
      next.certificateExpiresAt = ack.certificateExpiresAt;
      log('node certificate renewed');
      // Peers check this node's entries against the certificate in its member entry: publish the new one.
      nodeMesh?.publishMember(ack.certificate);
    }
    if (JSON.stringify(next) !== JSON.stringify(m())) {
      membership = next;
      store.saveMembership(next);
    }
    if (nodeMesh) {
      void nodeMesh.joinSeeds(ack.meshSeeds).catch((e) => log(`mesh join failed: ${(e as Error).message}`));
    }
    void placement.reconcile(ack.workspaces).catch((e) => log(`reconcile failed: ${(e as Error).message}`));
  };
  const heartbeat = new HeartbeatLoop(beat, config.heartbeat, (e, retry) => {
    const why = e instanceof ControlError ? e.message : (e as Error).message;
    log(`heartbeat failed (${why}); retrying in ${retry} ms`);
  });
  runtime.onChange(() => {
    theMesh.syncWorkspaces(runtime.reports());
    heartbeat.poke();
  });
  heartbeat.start();

  return {
    url: address,
    nodeId: m().nodeId,
    dataDir: config.dataDir,
    runtime,
    verifier,
    gitSocket: (id) => git.socket(id),
    mesh: theMesh,
    heartbeatNow() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        heartbeat.poke();
      });
    },
    async stop() {
      const lastBeat = heartbeat.stop();
      for (const f of waiters) f();
      waiters = [];
      front?.stop();
      server.stop(true);
      sessions.stop();
      terminals.closeAll();
      proxy.close();
      await agents.close();
      // The leave is the last word the control plane hears: a heartbeat handled after it would read as a node
      // still running but cut off from the mesh (partitioned).
      // Bounded: a beat hanging on an unreachable control plane must not hold up the stop.
      let giveUp: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([lastBeat, new Promise((r) => (giveUp = setTimeout(r, 2_000)))]);
      clearTimeout(giveUp);
      await theMesh.close();
      await runtime.shutdown();
      await git.stop();
    },
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

async function joinWithRetry(
  config: NodeConfig,
  publicKey: { kty: 'OKP'; crv: 'Ed25519'; x: string },
  address: string,
  link: ReturnType<typeof createControlLink>,
  timeoutMs: number,
  log: (line: string) => void,
  isolation: IsolationKind,
): Promise<NodeJoined> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await link.join({
        joinToken: config.joinToken!,
        name: config.name,
        publicKey,
        address,
        capacity: { workspaces: config.capacity },
        labels: config.labels,
        laptop: config.laptop,
        version: NODE_VERSION,
        isolation,
        baseDomain: config.baseDomain,
      });
    } catch (e) {
      if (!(e instanceof ControlError) || !e.retryable || Date.now() > deadline) throw e;
      const d = Math.min(config.heartbeat.backoffMaxMs, config.heartbeat.backoffBaseMs * 2 ** (attempt - 1));
      const wait = d / 2 + (d / 2) * Math.random();
      log(`join failed (${e.message}); retrying in ${Math.round(wait)} ms`);
      await Bun.sleep(wait);
    }
  }
}

function membershipFrom(controlUrl: string, j: NodeJoined): Membership {
  return {
    controlUrl,
    nodeId: j.nodeId,
    issuer: j.issuer,
    certificate: j.certificate,
    certificateExpiresAt: j.expiresAt,
    heartbeatIntervalMs: j.heartbeatIntervalMs,
    jwks: j.jwks,
    revocations: [],
    ...(j.meshSeeds ? { meshSeeds: j.meshSeeds } : {}),
  };
}

/** True once the certificate has lived half its life: time to ask for a new one. */
export function pastHalfLife(certificate: string, nowMs = Date.now()): boolean {
  try {
    const { iat, exp } = decodeJwt(certificate);
    if (typeof iat !== 'number' || typeof exp !== 'number') return true;
    return nowMs / 1000 >= iat + (exp - iat) / 2;
  } catch {
    return true;
  }
}

function load(): { cpu: number; memory: number } {
  const cpu = (loadavg()[0] ?? 0) / Math.max(1, cpus().length);
  return { cpu: Math.round(cpu * 100) / 100, memory: Math.round((1 - freemem() / totalmem()) * 100) / 100 };
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
