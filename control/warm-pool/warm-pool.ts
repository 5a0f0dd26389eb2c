// The warm pool: per project (or the instance), keep a minimum of ready nodes, hand one to a new workspace
// atomically, fall back to provisioning when none is free, and reap nodes idle past the timeout.
import type { ProgressEvent } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { WarmPoolStore } from './warm-pool-store.ts';

export interface WarmPoolConfig {
  /** Warm nodes kept per pool. Default 1: the next workspace starts at once; more costs idle machines. */
  minWarm: number;
  /** A warm node idle this long is reaped, unless it is among the `minWarm` kept. Default 30 min. */
  idleTimeoutMs: number;
}

export function defaultWarmPoolConfig(): WarmPoolConfig {
  return { minWarm: 1, idleTimeoutMs: 30 * 60_000 };
}

/** The pool of nodes that belong to no project. */
export const INSTANCE_POOL = 'instance';

/** A progress event of acquiring a node: the `warm_claim` step, then the provisioning steps of a cold start. */
export type WarmPoolEvent = ProgressEvent;

export interface WarmPoolDeps {
  store: WarmPoolStore;
  /**
   * Provisions one node (the fleet passes the providers' pipeline, provisionNode with `ephemeral: true`: the pool
   * knows no provider, so that providers and the pool stay apart).
   */
  provision(nodeId: string, pool: string, onProgress: (e: ProgressEvent) => void): Promise<unknown>;
  /** Destroys one node (deprovisionNode). */
  destroy(nodeId: string): Promise<void>;
  newNodeId(): string;
  clock: Clock;
  config: WarmPoolConfig;
}

/** Where a workspace landed. */
export interface Acquired {
  nodeId: string;
  /** True: a warm node was claimed; false: one was provisioned for it (cold start). */
  warm: boolean;
}

export class WarmPool {
  /** One refill per pool at a time: two concurrent refills would both count the same gap and overshoot. */
  private readonly refilling = new Map<string, Promise<string[]>>();

  constructor(private readonly deps: WarmPoolDeps) {}

  /**
   * A node for a new workspace: claims a warm node of `pool` atomically, or provisions one. Does not refill
   * the pool; call `replenish` afterwards (the control plane does, off the request path).
   */
  async acquire(
    pool: string,
    workspaceId: string,
    onProgress: (e: WarmPoolEvent) => void = () => {},
  ): Promise<Acquired> {
    const { store, clock } = this.deps;
    onProgress({ step: 'warm_claim', state: 'started', at: clock.now() });
    const claimed = await store.claim(pool, workspaceId, clock.now());
    if (claimed) {
      onProgress({ step: 'warm_claim', state: 'done', detail: `warm node ${claimed}`, at: clock.now() });
      return { nodeId: claimed, warm: true };
    }
    onProgress({
      step: 'warm_claim',
      state: 'failed',
      detail: 'no warm node free: provisioning one',
      at: clock.now(),
    });
    const nodeId = this.deps.newNodeId();
    await this.deps.provision(nodeId, pool, onProgress);
    await store.insertClaimed(nodeId, pool, workspaceId, clock.now());
    return { nodeId, warm: false };
  }

  /** Provisions nodes until `pool` has `minWarm` warm or provisioning ones; returns the nodes that became warm. */
  replenish(pool: string): Promise<string[]> {
    const running = this.refilling.get(pool);
    if (running) return running;
    const run = this.refill(pool).finally(() => this.refilling.delete(pool));
    this.refilling.set(pool, run);
    return run;
  }

  /**
   * Refills and reaps every pool once, never throwing: the control plane calls this on a timer and after
   * each claim. A failure is reported per pool and retried on the next tick.
   */
  async maintain(
    pools: string[],
  ): Promise<{ pool: string; started: string[]; reaped: string[]; error?: string }[]> {
    const out = [];
    for (const pool of pools) {
      try {
        const reaped = await this.reap(pool);
        const started = await this.replenish(pool);
        out.push({ pool, started, reaped });
      } catch (error) {
        out.push({ pool, started: [], reaped: [], error: (error as Error).message });
      }
    }
    return out;
  }

  private async refill(pool: string): Promise<string[]> {
    const { store, clock, config } = this.deps;
    const missing = config.minWarm - (await store.countAvailable(pool));
    const ids = Array.from({ length: Math.max(0, missing) }, () => this.deps.newNodeId());
    for (const id of ids) await store.insertProvisioning(id, pool, clock.now());
    const results = await Promise.allSettled(
      ids.map(async (id) => {
        try {
          await this.deps.provision(id, pool, () => {});
        } catch (error) {
          await store.remove(id);
          throw error;
        }
        await store.markWarm(id, clock.now());
        return id;
      }),
    );
    return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  /** The workspace on a claimed node is gone: the node is warm capacity again, idle from now. */
  async release(nodeId: string): Promise<void> {
    await this.deps.store.release(nodeId, this.deps.clock.now());
  }

  /** The workspace is gone: the node it claimed (if any) is warm capacity again; returns that node. */
  async releaseWorkspace(workspaceId: string): Promise<string | undefined> {
    return this.deps.store.releaseClaimOf(workspaceId, this.deps.clock.now());
  }

  /** Pools with rows: the ones `maintain` must look after besides those configured. */
  pools(): Promise<string[]> {
    return this.deps.store.pools();
  }

  /** Destroys warm nodes idle past the timeout, longest idle first, keeping `minWarm`; returns those reaped. */
  async reap(pool: string): Promise<string[]> {
    const { store, clock, config } = this.deps;
    const warm = (await store.list(pool)).filter((n) => n.state === 'warm').length;
    const surplus = warm - config.minWarm;
    if (surplus <= 0) return [];
    const idle = await store.idleSince(pool, clock.now() - config.idleTimeoutMs);
    const reaped: string[] = [];
    for (const id of idle) {
      if (reaped.length >= surplus) break;
      // A claim may take the node between the select and here; then it is not ours to reap.
      if (!(await store.markReaping(id))) continue;
      await this.deps.destroy(id);
      await store.remove(id);
      reaped.push(id);
    }
    return reaped;
  }
}
