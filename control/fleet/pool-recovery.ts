// Pool rows an earlier run of the control plane left mid-way: destroyed and forgotten before the first maintenance.
import type { Log } from '../log.ts';
import type { Provider } from '../providers/index.ts';
import type { WarmPoolStore } from '../warm-pool/index.ts';
import { logFailure } from './tracked-work.ts';

export interface PoolRecoveryDeps {
  provider: Pick<Provider, 'kind' | 'list'>;
  pools: WarmPoolStore;
  /** Removes everything of a node (machine, tailnet device, row); idempotent. */
  destroy(nodeId: string): Promise<void>;
  log: Log;
}

/**
 * A node being provisioned or reaped when the earlier run ended is nobody's work now: it is destroyed and
 * forgotten, else it would count toward the pool's minimum forever. With the local provider a warm node's process
 * died with that run, so it goes too; claimed nodes stay (their workspaces show unreachable until the node is
 * deleted). Run once per process, after the machines of the earlier run had their chance to resume.
 */
export async function forgetStalePoolNodes(deps: PoolRecoveryDeps): Promise<void> {
  const { provider, pools, log } = deps;
  const alive = new Set((await provider.list()).map((n) => n.nodeId));
  for (const pool of await pools.pools()) {
    for (const row of await pools.list(pool)) {
      const stale =
        row.state === 'provisioning' ||
        row.state === 'reaping' ||
        (row.state === 'warm' && provider.kind === 'local' && !alive.has(row.id));
      if (!stale) continue;
      log.warn('forgetting a pool node left by an earlier run', { node: row.id, state: row.state });
      await deps.destroy(row.id).catch(logFailure(log, 'destroying a stale pool node', { node: row.id }));
      await pools.remove(row.id);
    }
  }
}
