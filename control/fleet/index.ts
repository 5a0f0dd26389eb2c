// control/fleet: the control plane's node machines as a whole, above providers, the warm pool and the Tailscale
// API: the infrastructure settings, join tokens, provisioning with progress records, and the pool new workspaces
// claim from.
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
export { type JoinTokenInput, type MintedJoinToken, mintJoinToken } from './join-tokens.ts';
export { LOCAL_NODES_DIR, rememberLocalNodePort } from './local-node-files.ts';
export { createNodeFleet, type NodeFleet, type NodeFleetDeps } from './node-fleet.ts';
