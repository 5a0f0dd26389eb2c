// control/fleet: the control plane's node machines as a whole, above providers, the warm pool and the Tailscale
// API: the infrastructure settings, provisioning with progress records, and the pool new workspaces claim from.
export {
  defaultInfraConfig,
  type InfraConfig,
  type InfraConfigResult,
  type ProviderConfig,
  PULUMI_STATE_DIR,
  parseInfraConfig,
  WARM_POOL_SCOPES,
  type WarmPoolScope,
} from './infra-config.ts';
export {
  createNodeFleet,
  LOCAL_NODES_DIR,
  type NodeFleet,
  type NodeFleetDeps,
  rememberLocalNodePort,
} from './node-fleet.ts';
