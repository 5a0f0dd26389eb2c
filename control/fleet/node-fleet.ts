// The control plane's node machines: provisioning and deprovisioning through the one pipeline with the configured
// provider, their progress records for the API, and the warm pool that new workspaces claim nodes from.
import { type NodeProvisioning, newId } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { Database, Store } from '../db/index.ts';
import type { Log } from '../log.ts';
import type { Provider, ProvisionedNode } from '../providers/index.ts';
import { createTailscaleApi, type TailscaleApi } from '../tailscale/index.ts';
import { INSTANCE_POOL, WarmPool, WarmPoolStore } from '../warm-pool/index.ts';
import { POOL_LABEL } from '../workspaces/index.ts';
import { createConfiguredProvider } from './configured-provider.ts';
import type { InfraConfig } from './infra-config.ts';
import { createMachines } from './machines.ts';
import { forgetStalePoolNodes } from './pool-recovery.ts';
import { logFailure, TrackedWork } from './tracked-work.ts';

// Every pool node carries POOL_LABEL (from its join token): ordinary placement skips it; only claims land there.

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

export function createNodeFleet(deps: NodeFleetDeps): NodeFleet {
  const { config, store, clock, log } = deps;
  const tailscale =
    deps.tailscale ?? (config.tailscale ? createTailscaleApi(config.tailscale, { clock }) : undefined);
  const provider = deps.provider ?? createConfiguredProvider(deps);

  const { provisionJoined, destroy } = createMachines({
    provider,
    ...(tailscale ? { tailscale } : {}),
    store,
    clock,
    controlUrl: deps.controlUrl,
    joinTimeoutMs: config.joinTimeoutMs,
  });

  const work = new TrackedWork({ provider: provider.kind, log, destroy: (nodeId) => destroy(nodeId) });

  const pools = new WarmPoolStore(deps.database.client);
  const warmPool = config.warmPool
    ? new WarmPool({
        store: pools,
        clock,
        config: config.warmPool,
        newNodeId: () => newId('node'),
        // Pool nodes get a provisioning record too, so the API shows their progress like any other node's.
        provision: (nodeId, pool, onProgress) => {
          let node: ProvisionedNode | undefined;
          const entry = work.run(
            nodeId,
            { state: 'provisioning', success: 'ready', what: 'pool node provisioning', cleanUp: true },
            async (progress) => {
              node = await provisionJoined(
                nodeId,
                {
                  ...(pool !== INSTANCE_POOL ? { projectId: pool } : {}),
                  createdBy: null,
                  labels: { [POOL_LABEL]: pool },
                  ephemeral: true,
                },
                (event) => {
                  progress(event);
                  onProgress(event);
                },
              );
            },
          );
          return entry.done.then(() => {
            if (entry.record.state !== 'ready') throw new Error(entry.record.error ?? 'provisioning failed');
            return node;
          });
        },
        destroy: (nodeId) => destroy(nodeId),
      })
    : null;

  let started: Promise<void> | undefined;
  let recovered = false;
  /** Once per process, before the first maintenance: pool rows a previous run left mid-way (pool-recovery.ts). */
  const recover = async () => {
    if (recovered) return;
    recovered = true;
    // What an earlier run left must have had its chance to come back first.
    await started;
    await forgetStalePoolNodes({ provider, pools, destroy: (nodeId) => destroy(nodeId), log });
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
      .catch(logFailure(log, 'warm pool maintenance'))
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
      return work.run(
        nodeId,
        { state: 'provisioning', success: 'ready', what: 'node provisioning', cleanUp: true },
        async (progress) => {
          await provisionJoined(
            nodeId,
            {
              ...(input.projectId ? { projectId: input.projectId } : {}),
              createdBy: input.createdBy,
              labels: input.projectId ? { 'warren.project': input.projectId } : {},
              ephemeral: false,
            },
            progress,
          );
        },
      ).record;
    },
    progress: (nodeId) => work.record(nodeId),
    async reserveForDelete(nodeId) {
      const state = await pools.stateOf(nodeId);
      if (state === undefined) return true;
      return state === 'warm' && (await pools.markReaping(nodeId));
    },
    remove(nodeId) {
      return work.run(
        nodeId,
        { state: 'deleting', success: 'deleted', what: 'node deletion', cleanUp: false },
        async (progress) => {
          await destroy(nodeId, progress);
          await pools.remove(nodeId);
        },
      ).record;
    },
    settled: (nodeId) => work.settled(nodeId),
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
      })().catch(logFailure(log, 'resuming node machines'));
      return started.then(() => maintain());
    },
    async stop() {
      await started;
      await maintaining;
      await work.drained();
      await provider.shutdown?.();
    },
  };
}
