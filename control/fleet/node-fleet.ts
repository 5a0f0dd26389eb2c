// The control plane's node machines: provisioning and deprovisioning through the one pipeline with the configured
// provider, their progress records for the API, and the warm pool that new workspaces claim nodes from.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type NodeProvisioning, newId, type ProgressEvent } from '../../contract/index.ts';
import { dataDirHolder } from '../../disk/index.ts';
import type { Clock } from '../clock.ts';
import type { Database, Store } from '../db/index.ts';
import { hashSecret, newSecret } from '../identity/index.ts';
import type { Log } from '../log.ts';
import {
  createHetznerProvider,
  createLocalProvider,
  deprovisionNode,
  type Provider,
  type ProvisionedNode,
  type ProvisioningDeps,
  provisionNode,
} from '../providers/index.ts';
import { createTailscaleApi, type TailscaleApi } from '../tailscale/index.ts';
import { INSTANCE_POOL, WarmPool, WarmPoolStore } from '../warm-pool/index.ts';
import { POOL_LABEL } from '../workspaces/index.ts';
import type { InfraConfig } from './infra-config.ts';

// Every pool node carries POOL_LABEL (from its join token): ordinary placement skips it; only claims land there.

/** The `warren` command of this checkout, for local node processes. */
const CLI = resolve(import.meta.dir, '../../cli/main.ts');
/**
 * How this `warren` runs itself again: the single executable (`bun run build:cli`, whose modules live under
 * Bun's `/$bunfs/`) is its own program; a checkout runs cli/main.ts with Bun.
 */
const SELF = import.meta.dir.startsWith('/$bunfs/') ? [process.execPath] : [process.execPath, CLI];

export interface NodeFleetDeps {
  config: InfraConfig;
  store: Store;
  database: Database;
  clock: Clock;
  log: Log;
  /** The control plane's data dir: local nodes live in `<dataDir>/nodes/<nodeId>`. */
  dataDir: string;
  /** URL nodes join (WARREN_PUBLIC_URL, else the bound URL). */
  controlUrl: string;
  /** Tests: another provider or Tailscale API than the configured ones. */
  provider?: Provider;
  tailscale?: TailscaleApi;
  /**
   * Whether this process keeps the pools (the holder of the duties lease among replicas): two replicas
   * refilling at once would each start the missing nodes. Default: always.
   */
  maintains?: () => boolean;
}

export interface NodeFleet {
  readonly provider: Provider;
  /** Null when no warm pool is configured. */
  readonly warmPool: WarmPool | null;
  /** Starts creating a node; answers its record at once, the work goes on (see `progress`). */
  create(input: { projectId?: string; createdBy: string | null }): NodeProvisioning;
  /** The record of a node this process is creating or deleting (or did recently). */
  progress(nodeId: string): NodeProvisioning | undefined;
  /**
   * Takes a node out of use before deleting it: a warm pool node is marked reaping in one statement, so no
   * workspace can claim it meanwhile; false when a pool node is claimed or already going.
   */
  reserveForDelete(nodeId: string): Promise<boolean>;
  /** Starts deleting a node: its machine, its tailnet device, its row; revokes its certificate. */
  remove(nodeId: string): NodeProvisioning;
  /** Resolves when the node's current create or delete has ended (tests, CLI). */
  settled(nodeId: string): Promise<void>;
  /**
   * A node for a new workspace from the warm pool (claimed atomically, or provisioned cold); undefined
   * when no pool is configured or it failed (the caller falls back to ordinary placement).
   */
  acquire(projectId: string, workspaceId: string): Promise<string | undefined>;
  /** A workspace row is gone: the pool node it claimed is warm again. */
  workspaceRemoved(workspaceId: string): Promise<void>;
  /** Refills and reaps every pool once (on a timer and after claims); never throws. */
  maintain(): Promise<void>;
  /** Starts again the machines that live in this process (local nodes of an earlier run), then maintains pools. */
  start(): Promise<void>;
  /** Stops local node processes (children of this process), keeping them for the next start. */
  stop(): Promise<void>;
}

interface Entry {
  record: NodeProvisioning;
  done: Promise<void>;
}

/** Records of finished work are kept this long, so a client polling a little late still sees the end. */
const RECORD_TTL_MS = 3_600_000;

export function createNodeFleet(deps: NodeFleetDeps): NodeFleet {
  const { config, store, clock, log } = deps;
  const tailscale =
    deps.tailscale ?? (config.tailscale ? createTailscaleApi(config.tailscale, { clock }) : undefined);
  const provider = deps.provider ?? createConfiguredProvider(deps);
  const records = new Map<string, Entry>();

  const waitJoined = (nodeId: string) =>
    pollUntil(
      config.joinTimeoutMs,
      `node ${nodeId} did not join within ${config.joinTimeoutMs} ms`,
      async () => Boolean(await store.nodes.get(nodeId)),
    );

  const pipeline = (createdBy: string | null, labels: Record<string, string>): ProvisioningDeps => ({
    provider,
    controlUrl: deps.controlUrl,
    clock,
    // Local node processes join in direct mode: a tailnet key for them would be minted for nothing.
    ...(tailscale && provider.kind !== 'local' ? { tailscale } : {}),
    async mintJoinToken(nodeId) {
      const token = newSecret('joinToken');
      const now = clock.now();
      // Valid as long as the node may take to join, plus a margin; one use, bound to this node id.
      const expiresAt = now + config.joinTimeoutMs + 60_000;
      await store.joinTokens.insert({
        id: newId('joinToken'),
        tokenHash: hashSecret(token),
        createdBy,
        laptop: false,
        labels: JSON.stringify({ 'warren.provider': provider.kind, ...labels }),
        createdAt: now,
        expiresAt,
        usedAt: null,
        usedByNode: null,
        nodeId,
      });
      return { token, expiresAt: new Date(expiresAt) };
    },
  });

  /** Provisions one node and waits until it joined; the steps go to `onProgress` in order. */
  const provisionJoined = async (
    nodeId: string,
    input: {
      projectId?: string;
      createdBy: string | null;
      labels: Record<string, string>;
      ephemeral: boolean;
    },
    onProgress: (e: ProgressEvent) => void,
  ): Promise<ProvisionedNode> => {
    const node = await provisionNode(
      pipeline(input.createdBy, input.labels),
      { nodeId, ephemeral: input.ephemeral, ...(input.projectId ? { projectId: input.projectId } : {}) },
      onProgress,
    );
    // The local provider's readiness already is the join; a cloud machine still boots and runs cloud-init.
    // The boot step (started by the provider) ends when the node process on the machine has joined.
    if (provider.kind !== 'local') {
      try {
        await waitJoined(nodeId);
      } catch (error) {
        onProgress({ step: 'boot', state: 'failed', detail: (error as Error).message, at: clock.now() });
        throw error;
      }
      onProgress({ step: 'boot', state: 'done', at: clock.now() });
      onProgress({ step: 'node_started', state: 'started', at: clock.now() });
      onProgress({
        step: 'node_started',
        state: 'done',
        detail: 'joined the control plane',
        at: clock.now(),
      });
    }
    return node;
  };

  /** Destroys the machine and tailnet device, then forgets the node and voids its certificate. */
  const destroy = async (nodeId: string, onProgress: (e: ProgressEvent) => void = () => {}) => {
    await deprovisionNode(pipeline(null, {}), nodeId, onProgress);
    await store.nodes.remove(nodeId);
    await store.revocations.upsert(`node:${nodeId}`, Math.floor(clock.now() / 1000) + 1, clock.now());
  };

  /**
   * Records why `entry`'s work failed and says so; with `cleanUp`, removes everything of the node, since
   * nothing of a failed node may stay behind (no machine, no tailnet device, no row: a half-created cloud
   * stack costs money).
   */
  const failed = async (entry: Entry, error: unknown, what: string, cleanUp: boolean) => {
    const nodeId = entry.record.nodeId;
    entry.record.state = 'failed';
    entry.record.error = (error as Error).message.slice(0, 1000);
    log.warn(`${what} failed`, { node: nodeId, message: entry.record.error });
    if (cleanUp)
      await destroy(nodeId).catch((e) =>
        log.error(`cleaning up after ${what} failed`, { node: nodeId, message: (e as Error).message }),
      );
  };

  const track = (nodeId: string, state: NodeProvisioning['state'], work: (entry: Entry) => Promise<void>) => {
    const entry: Entry = {
      record: { nodeId, provider: provider.kind, state, events: [] },
      done: Promise.resolve(),
    };
    records.set(nodeId, entry);
    entry.done = work(entry).finally(() => {
      const timer = setTimeout(() => {
        if (records.get(nodeId) === entry) records.delete(nodeId);
      }, RECORD_TTL_MS);
      timer.unref();
    });
    return entry;
  };

  const pools = new WarmPoolStore(deps.database.client);
  const warmPool = config.warmPool
    ? new WarmPool({
        store: pools,
        clock,
        config: config.warmPool,
        newNodeId: () => newId('node'),
        // Pool nodes get a provisioning record too, so the API shows their progress like any other node's.
        provision: (nodeId, pool, onProgress) => {
          let outcome: Promise<ProvisionedNode> | undefined;
          const entry = track(nodeId, 'provisioning', async (e) => {
            outcome = provisionJoined(
              nodeId,
              {
                ...(pool !== INSTANCE_POOL ? { projectId: pool } : {}),
                createdBy: null,
                labels: { [POOL_LABEL]: pool },
                ephemeral: true,
              },
              (event) => {
                e.record.events.push(event);
                onProgress(event);
              },
            );
            try {
              await outcome;
              e.record.state = 'ready';
            } catch (error) {
              await failed(e, error, 'pool node provisioning', true);
            }
          });
          return entry.done.then(() => {
            if (entry.record.state !== 'ready') throw new Error(entry.record.error ?? 'provisioning failed');
            return outcome;
          });
        },
        destroy: (nodeId) => destroy(nodeId),
      })
    : null;

  /**
   * Once per process, before the first maintenance: pool rows a previous run left mid-way. A node being
   * provisioned or reaped then is nobody's work now: it is destroyed (idempotently) and forgotten, else it
   * would count toward the minimum forever. With the local provider a warm node's process died with that run,
   * so it goes too; claimed nodes stay (their workspaces show unreachable until the node is deleted).
   */
  let started: Promise<void> | undefined;
  let recovered = false;
  const recover = async () => {
    if (recovered) return;
    recovered = true;
    // What an earlier run left must have had its chance to come back first.
    await started;
    const alive = new Set((await provider.list()).map((n) => n.nodeId));
    for (const pool of await pools.pools()) {
      for (const row of await pools.list(pool)) {
        const stale =
          row.state === 'provisioning' ||
          row.state === 'reaping' ||
          (row.state === 'warm' && provider.kind === 'local' && !alive.has(row.id));
        if (!stale) continue;
        log.warn('forgetting a pool node left by an earlier run', { node: row.id, state: row.state });
        await destroy(row.id).catch((e) =>
          log.error('destroying a stale pool node failed', { node: row.id, message: (e as Error).message }),
        );
        await pools.remove(row.id);
      }
    }
  };

  let maintaining: Promise<void> | undefined;
  const maintain = () => {
    if (!warmPool || !config.warmPool || deps.maintains?.() === false) return Promise.resolve();
    maintaining ??= (async () => {
      await recover();
      const names = new Set(await warmPool.pools());
      if (config.warmPool?.scope === 'instance') names.add(INSTANCE_POOL);
      for (const r of await warmPool.maintain([...names])) {
        if (r.error) log.warn('warm pool maintenance failed', { pool: r.pool, message: r.error });
        else if (r.started.length + r.reaped.length > 0)
          log.info('warm pool maintained', {
            pool: r.pool,
            started: r.started.length,
            reaped: r.reaped.length,
          });
      }
    })()
      .catch((e) => log.error('warm pool maintenance failed', { message: (e as Error).message }))
      .finally(() => {
        maintaining = undefined;
      });
    return maintaining;
  };

  return {
    provider,
    warmPool,
    create(input) {
      const nodeId = newId('node');
      return track(nodeId, 'provisioning', async (entry) => {
        try {
          await provisionJoined(
            nodeId,
            {
              ...(input.projectId ? { projectId: input.projectId } : {}),
              createdBy: input.createdBy,
              labels: input.projectId ? { 'warren.project': input.projectId } : {},
              ephemeral: false,
            },
            (e) => entry.record.events.push(e),
          );
          entry.record.state = 'ready';
        } catch (error) {
          await failed(entry, error, 'node provisioning', true);
        }
      }).record;
    },
    progress: (nodeId) => records.get(nodeId)?.record,
    async reserveForDelete(nodeId) {
      const state = await pools.stateOf(nodeId);
      if (state === undefined) return true;
      return state === 'warm' && (await pools.markReaping(nodeId));
    },
    remove(nodeId) {
      return track(nodeId, 'deleting', async (entry) => {
        try {
          await destroy(nodeId, (e) => entry.record.events.push(e));
          await pools.remove(nodeId);
          entry.record.state = 'deleted';
        } catch (error) {
          await failed(entry, error, 'node deletion', false);
        }
      }).record;
    },
    async settled(nodeId) {
      await records.get(nodeId)?.done;
    },
    async acquire(projectId, workspaceId) {
      if (!warmPool || !config.warmPool) return undefined;
      const pool = config.warmPool.scope === 'project' ? projectId : INSTANCE_POOL;
      try {
        const got = await warmPool.acquire(pool, workspaceId);
        return got.nodeId;
      } catch (error) {
        log.warn('warm pool could not give a node; placing the ordinary way', {
          workspace: workspaceId,
          message: (error as Error).message,
        });
        return undefined;
      } finally {
        // Refill off the request path.
        void maintain();
      }
    },
    async workspaceRemoved(workspaceId) {
      if (warmPool) await warmPool.releaseWorkspace(workspaceId);
    },
    maintain,
    start() {
      started ??= (async () => {
        const resumed = (await provider.resume?.()) ?? [];
        if (resumed.length > 0) log.info('node machines resumed', { nodes: resumed.length });
      })().catch((e) => log.error('resuming node machines failed', { message: (e as Error).message }));
      return started.then(() => maintain());
    },
    async stop() {
      await started;
      await maintaining;
      await Promise.all([...records.values()].map((e) => e.done));
      await provider.shutdown?.();
    },
  };
}

/**
 * Resolves once `ready()` holds, checking every 50 ms; throws `message` after `timeoutMs`. Real time, not the
 * injected clock: it waits on real machines.
 */
async function pollUntil(timeoutMs: number, message: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(message);
    await Bun.sleep(50);
  }
}

/** The local provider's node machines, below the control plane's data dir: `nodes/<nodeId>/`. */
export const LOCAL_NODES_DIR = 'nodes';

/** In a local node's folder: the name it joined with (`local-N`), and the port it listened on last time. */
const LOCAL_NODE_NAME_FILE = 'name';
const LOCAL_NODE_PORT_FILE = 'listen-port';

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A local node's human name: the one it got before, else the first `local-N` no other local node holds. Chosen
 * and written synchronously, so nodes created at the same moment in this process never share a name.
 */
export function localNodeName(baseDir: string, dataDir: string): string {
  const file = join(dataDir, LOCAL_NODE_NAME_FILE);
  const had = readIfThere(file);
  if (had) return had;
  const taken = new Set(
    readdirSync(baseDir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => readIfThere(join(baseDir, e.name, LOCAL_NODE_NAME_FILE))),
  );
  let n = 1;
  while (taken.has(`local-${n}`)) n++;
  writeFileSync(file, `local-${n}\n`, { mode: 0o600 });
  return `local-${n}`;
}

/**
 * The node's `--listen`: the port it had last time when that is still free, so the links to its apps
 * (`ws-{id}.localhost:PORT`) and its URL in up.json keep working across restarts; else a fresh one. Its mesh
 * port is picked afresh either way (the proxy's port + 1, the default, may be taken by anything).
 */
export function listenArgs(host: string, dataDir: string): string[] {
  const port = Number(readIfThere(join(dataDir, LOCAL_NODE_PORT_FILE)));
  if (!Number.isInteger(port) || port <= 0 || port > 65_535 || !portFree(host, port))
    return ['--listen', `${host}:0`];
  return ['--listen', `${host}:${port}`, '--mesh-listen', `${host}:0`];
}

function portFree(hostname: string, port: number): boolean {
  try {
    Bun.listen({ hostname, port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

/** Remembers the port a local node listens on (from its URL), for `listenArgs` the next time it starts. */
export function rememberLocalNodePort(controlDataDir: string, nodeId: string, url: string): void {
  const dir = join(controlDataDir, LOCAL_NODES_DIR, nodeId);
  const port = new URL(url).port;
  if (port && existsSync(dir)) writeFileSync(join(dir, LOCAL_NODE_PORT_FILE), `${port}\n`, { mode: 0o600 });
}

/** The provider WARREN_PROVIDER names, built from its settings. */
function createConfiguredProvider(deps: NodeFleetDeps): Provider {
  const p = deps.config.provider;
  if (p.kind === 'hetzner') return createHetznerProvider(p.hetzner, { clock: deps.clock });
  const base = join(deps.dataDir, LOCAL_NODES_DIR);
  return createLocalProvider({
    baseDir: base,
    clock: deps.clock,
    log: deps.log,
    command: (input) => {
      // The join token goes through a 0600 file, as on a cloud node: never argv (ps shows argv to everyone).
      mkdirSync(input.dataDir, { recursive: true, mode: 0o700 });
      const tokenFile = join(input.dataDir, 'join-token');
      // Resuming a node that joined before: no token at all.
      if (input.joinToken) writeFileSync(tokenFile, input.joinToken, { mode: 0o600 });
      return {
        argv: [
          ...(p.nodeCommand ?? SELF),
          'node',
          'join',
          '--name',
          localNodeName(base, input.dataDir),
          '--data',
          join(input.dataDir, 'node'),
          ...listenArgs(p.listenHost ?? '127.0.0.1', input.dataDir),
          '--network',
          'direct',
        ],
        env: {
          // The current URL, also for a node resumed after a restart on another port.
          WARREN_CONTROL_URL: input.controlUrl || deps.controlUrl,
          WARREN_JOIN_TOKEN_FILE: tokenFile,
          // The control plane's data dir (master key, database, admin token) holds the node's: a sandboxed
          // workspace must see neither, even when both sit in a folder it is shown (a checkout's `.warren`).
          WARREN_SANDBOX_HIDE: resolve(deps.dataDir),
          // The sandbox where this machine has bubblewrap; else no isolation, which the node warns about.
          WARREN_RUNTIME: Bun.which('bwrap') ? 'sandbox' : 'process',
        },
      };
    },
    resumable: (dataDir) => existsSync(join(dataDir, 'node', 'node.json')),
    // `warren node join` locks its --data dir for as long as it runs.
    holder: (dataDir) => dataDirHolder(join(dataDir, 'node')),
    // Ready: the node joined (its row exists) and saved its membership, so it resumes after a restart.
    waitReady: ({ nodeId, dataDir }) =>
      pollUntil(
        deps.config.joinTimeoutMs,
        `node ${nodeId} did not join in time`,
        async () =>
          existsSync(join(dataDir, 'node', 'node.json')) && Boolean(await deps.store.nodes.get(nodeId)),
      ),
  });
}
