// control/providers: where node machines come from (local processes, Hetzner via Pulumi) and the one
// provisioning pipeline (join token, tailnet key, provider) with progress steps. control/fleet builds on it.
export { CLOUD_INIT_PATHS, type CloudInitInput, renderCloudInit } from './cloud-init.ts';
// The Hetzner program itself (hetzner-program.ts) loads @pulumi/hcloud; it is imported lazily, not from here.
export type { HetznerNodeSpec } from './hetzner-program.ts';
export {
  createHetznerProvider,
  defaultHetznerConfig,
  type HetznerConfig,
  progressFromEngineEvent,
} from './hetzner-provider.ts';
export {
  createLocalProvider,
  type LocalNodeCommand,
  type LocalNodeCommandInput,
  type LocalProviderOptions,
} from './local-provider.ts';
export {
  type AutomationStacksConfig,
  automationNodeStacks,
  type InlineProgram,
  type NodeStack,
  type NodeStacks,
  PULUMI_PROJECT,
} from './node-stacks.ts';
export { createProgressChannel, type ProgressChannel } from './progress-channel.ts';
export {
  type CreateNodeRequest,
  PROVIDER_KINDS,
  type ProgressEvent,
  type ProgressListener,
  type Provider,
  ProviderError,
  type ProviderKind,
  type ProvisionedNode,
  type ProvisionStep,
} from './provider.ts';
export {
  deprovisionNode,
  type ProvisionInput,
  type ProvisioningDeps,
  provisionNode,
} from './provisioning.ts';
