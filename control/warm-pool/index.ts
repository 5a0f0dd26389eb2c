// control/warm-pool: ready nodes per project or instance, claimed atomically by new workspaces, reaped when idle.
export {
  type Acquired,
  defaultWarmPoolConfig,
  INSTANCE_POOL,
  WarmPool,
  type WarmPoolConfig,
  type WarmPoolDeps,
  type WarmPoolEvent,
} from './warm-pool.ts';
export {
  CLAIM_SQL,
  MARK_REAPING_SQL,
  WARM_NODE_STATES,
  type WarmNodeRow,
  type WarmNodeState,
  WarmPoolStore,
} from './warm-pool-store.ts';
