// node/: the node agent. Start one with startNode(config); nodeOpenApiDocument() describes its API.
export { ADMIN_CREDENTIAL_FILE } from './admin-credential.ts';
export { nodeOpenApiDocument } from './api/index.ts';
export { KeySet, Revocations, TokenVerifier } from './auth/index.ts';
export {
  ConfigError,
  defaultNodeConfig,
  localNodeConfig,
  type NodeConfig,
  nodeConfigFromArgs,
} from './config.ts';
export { joinLaptop, LaptopJoinError, type LaptopJoinOptions, type LaptopNode } from './laptop/index.ts';
export { type RunningNode, type StartNodeOptions, startNode } from './main.ts';
export { type ParentPipe, watchParentPipe } from './parent-pipe.ts';
export { NODE_VERSION } from './version.ts';
export { createWorkspaceLogs, defaultWorkspaceLogsConfig } from './workspaces/index.ts';
