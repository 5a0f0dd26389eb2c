// The Provider interface: where node machines come from (local processes, Hetzner servers), and progress steps.

/** Kinds of provider Warren ships. */
export const PROVIDER_KINDS = ['local', 'hetzner'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/**
 * The steps of provisioning, in the order they happen. The API and the UI show them as a checklist; a
 * provider reports only the steps it has (local has no tailnet or boot step).
 */
export const PROVISION_STEPS = [
  /** One-use, short-lived Warren join token minted. */
  'join_token',
  /** One-use, tagged Tailscale auth key minted (tailscale network only). */
  'tailnet_key',
  /** Machine resources being created (Pulumi resources, or the local process spawned). */
  'machine',
  /** The machine is booting and running its setup (cloud-init). */
  'boot',
  /** The node process has started and will now join the control plane. */
  'node_started',
] as const;
export type ProvisionStep = (typeof PROVISION_STEPS)[number];

/** Steps of taking a node away. */
export const DEPROVISION_STEPS = ['machine_destroyed', 'tailnet_device_removed'] as const;
export type DeprovisionStep = (typeof DEPROVISION_STEPS)[number];

/** One progress report. `detail` is for people (a resource name, a pid); it never holds a secret. */
export interface ProgressEvent {
  step: ProvisionStep | DeprovisionStep;
  state: 'started' | 'done' | 'failed';
  detail?: string;
  /** Milliseconds since the epoch. */
  at: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** What a provider needs to start one node. The secrets in it are one-use and short-lived. */
export interface CreateNodeRequest {
  /** Warren's node id (`nd…`); becomes the machine's name and its `warren-node-id` label. */
  nodeId: string;
  /** The project the node serves, if it is a project's (warm pool) node; a label. */
  projectId?: string;
  /** URL the node joins, e.g. `https://warren.example.com`. */
  controlUrl: string;
  /** One-use Warren join token (`wrn_join_…`), valid minutes. */
  joinToken: string;
  /** One-use Tailscale auth key (`tskey-auth-…`); absent in direct network mode. */
  tailnetAuthKey?: string;
}

/** A node machine as its provider knows it. */
export interface ProvisionedNode {
  nodeId: string;
  provider: ProviderKind;
  /** The provider's own handle: a pid for local, the Hetzner server id for hetzner. */
  providerRef: string;
  /** Public IPv4 of a cloud server, if it has one. */
  publicIp?: string;
}

export interface Provider {
  readonly kind: ProviderKind;
  /** Creates the machine and starts the node on it, reporting progress; resolves once the node process runs. */
  create(request: CreateNodeRequest, onProgress?: ProgressListener): Promise<ProvisionedNode>;
  /** Destroys the node's machine and everything created for it; a node already gone is not an error. */
  destroy(nodeId: string, onProgress?: ProgressListener): Promise<void>;
  /** The node machines this provider currently holds. */
  list(): Promise<ProvisionedNode[]>;
}

/** A provider failed; `code` is stable. */
export class ProviderError extends Error {
  readonly code: 'provider_failed' | 'provider_unavailable' | 'unsafe_user_data';
  constructor(code: ProviderError['code'], message: string) {
    super(message);
    this.name = 'ProviderError';
    this.code = code;
  }
}
