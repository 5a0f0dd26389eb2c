// One node machine at a time: provisioned through the providers' pipeline with this control plane's join tokens
// and tailnet until its node has joined, or destroyed with everything the control plane holds of it.
import type { ProgressEvent } from '../../contract/index.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../db/index.ts';
import {
  deprovisionNode,
  type Provider,
  type ProvisionedNode,
  type ProvisioningDeps,
  provisionNode,
} from '../providers/index.ts';
import type { TailscaleApi } from '../tailscale/index.ts';
import { waitForJoin } from './join-poll.ts';
import { mintJoinToken } from './join-tokens.ts';

/** A join token outlives the longest a node may take to join by this margin. */
const JOIN_TOKEN_MARGIN_MS = 60_000;

export interface MachinesDeps {
  provider: Provider;
  /** The Tailscale API when nodes join a tailnet. */
  tailscale?: TailscaleApi;
  store: Store;
  clock: Clock;
  /** URL nodes join. */
  controlUrl: string;
  /** How long a machine's node may take to join. */
  joinTimeoutMs: number;
}

/** What provisioning a node takes besides its id. */
export interface MachineInput {
  projectId?: string;
  createdBy: string | null;
  /** Labels the node joins with. */
  labels: Record<string, string>;
  /** Tailnet device removed when offline (pool nodes). */
  ephemeral: boolean;
}

export interface Machines {
  /** Provisions one node and waits until it joined; the steps go to `onProgress` in order. */
  provisionJoined(
    nodeId: string,
    input: MachineInput,
    onProgress: (e: ProgressEvent) => void,
  ): Promise<ProvisionedNode>;
  /** Destroys the machine and tailnet device, then forgets the node and voids its certificate. */
  destroy(nodeId: string, onProgress?: (e: ProgressEvent) => void): Promise<void>;
}

export function createMachines(deps: MachinesDeps): Machines {
  const { provider, tailscale, store, clock } = deps;
  const pipeline = (createdBy: string | null, labels: Record<string, string>): ProvisioningDeps => ({
    provider,
    controlUrl: deps.controlUrl,
    clock,
    // Local node processes join in direct mode: a tailnet key for them would be minted for nothing.
    ...(tailscale && provider.kind !== 'local' ? { tailscale } : {}),
    async mintJoinToken(nodeId) {
      // Valid as long as the node may take to join, plus a margin; one use, bound to this node id.
      const minted = await mintJoinToken(deps, {
        createdBy,
        laptop: false,
        labels: { 'warren.provider': provider.kind, ...labels },
        ttlMs: deps.joinTimeoutMs + JOIN_TOKEN_MARGIN_MS,
        nodeId,
      });
      return { token: minted.token, expiresAt: new Date(minted.expiresAt) };
    },
  });

  /** Provisions one node and waits until it joined; the steps go to `onProgress` in order. */
  const provisionJoined: Machines['provisionJoined'] = async (nodeId, input, onProgress) => {
    const node = await provisionNode(
      pipeline(input.createdBy, input.labels),
      { nodeId, ephemeral: input.ephemeral, ...(input.projectId ? { projectId: input.projectId } : {}) },
      onProgress,
    );
    // The local provider's readiness already is the join; a cloud machine still boots and runs cloud-init.
    // The boot step (started by the provider) ends when the node process on the machine has joined.
    if (provider.kind !== 'local') {
      try {
        await waitForJoin(store, nodeId, {
          timeoutMs: deps.joinTimeoutMs,
          message: `node ${nodeId} did not join within ${deps.joinTimeoutMs} ms`,
        });
      } catch (error) {
        onProgress({ step: 'boot', state: 'failed', detail: (error as Error).message, at: clock.now() });
        throw error;
      }
      onProgress({ step: 'boot', state: 'done', at: clock.now() });
      onProgress({ step: 'node_started', state: 'started', at: clock.now() });
      onProgress({
        step: 'node_started',
        state: 'done',
        detail: 'joined the control plane',
        at: clock.now(),
      });
    }
    return node;
  };

  /** Destroys the machine and tailnet device, then forgets the node and voids its certificate. */
  const destroy: Machines['destroy'] = async (nodeId, onProgress = () => {}) => {
    await deprovisionNode(pipeline(null, {}), nodeId, onProgress);
    await store.nodes.remove(nodeId);
    await store.revocations.upsert(`node:${nodeId}`, Math.floor(clock.now() / 1000) + 1, clock.now());
  };

  return { provisionJoined, destroy };
}
