// The Provider interface: where node machines come from (local processes, Hetzner servers), and progress steps.
import type { ProgressEvent } from '../../contract/index.ts';

// Kinds of provider Warren ships: contract/provisioning.ts (the API reports which one made a node).
import { PROVIDER_KINDS, type ProviderKind } from '../../contract/index.ts';

// The steps and the event shape are contract/provisioning.ts: the API streams them and the UI shows them.
export type { ProgressEvent, ProvisionStep } from '../../contract/index.ts';
export { PROVIDER_KINDS, type ProviderKind };

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
  /**
   * Providers whose machines live in this process (local): start again the nodes created by an earlier run,
   * when the control plane starts.
   */
  resume?(): Promise<ProvisionedNode[]>;
  /** …and stop them, keeping them (data and all), when the control plane stops. */
  shutdown?(): Promise<void>;
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
