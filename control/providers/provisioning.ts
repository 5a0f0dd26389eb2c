// The one pipeline every path that creates or deletes a node machine goes through: mint the
// one-use secrets, call the provider, clean the tailnet up on delete, and report progress in order.
import type { Clock } from '../clock.ts';
import type { TailscaleApi } from '../tailscale/index.ts';
import type { ProgressEvent, ProgressListener, Provider, ProvisionedNode } from './provider.ts';

export interface ProvisioningDeps {
  provider: Provider;
  /** URL nodes join. */
  controlUrl: string;
  /** Mints a one-use join token for the node (the control plane's join-token store). */
  mintJoinToken(nodeId: string): Promise<{ token: string; expiresAt: Date }>;
  /** The Tailscale API, when nodes join a tailnet; absent in direct network mode. */
  tailscale?: Pick<TailscaleApi, 'createNodeAuthKey' | 'findDevice' | 'deleteDevice'>;
  clock: Clock;
}

export interface ProvisionInput {
  nodeId: string;
  projectId?: string;
  /** Tailnet device removed by Tailscale when offline: warm-pool nodes, which are cattle. */
  ephemeral: boolean;
}

/** Creates a node machine: join token, tailnet key, then the provider's own steps. */
export async function provisionNode(
  deps: ProvisioningDeps,
  input: ProvisionInput,
  onProgress: ProgressListener = () => {},
): Promise<ProvisionedNode> {
  const emit = (e: Omit<ProgressEvent, 'at'>) => onProgress({ ...e, at: deps.clock.now() });
  emit({ step: 'join_token', state: 'started' });
  const join = await deps.mintJoinToken(input.nodeId);
  emit({ step: 'join_token', state: 'done', detail: `expires ${join.expiresAt.toISOString()}` });

  let tailnetAuthKey: string | undefined;
  if (deps.tailscale) {
    emit({ step: 'tailnet_key', state: 'started' });
    try {
      const key = await deps.tailscale.createNodeAuthKey({
        nodeId: input.nodeId,
        ephemeral: input.ephemeral,
      });
      tailnetAuthKey = key.key;
      emit({ step: 'tailnet_key', state: 'done', detail: `key ${key.id}, tags ${key.tags.join(',')}` });
    } catch (error) {
      emit({ step: 'tailnet_key', state: 'failed', detail: (error as Error).message });
      throw error;
    }
  }
  return deps.provider.create(
    {
      nodeId: input.nodeId,
      controlUrl: deps.controlUrl,
      joinToken: join.token,
      ...(input.projectId ? { projectId: input.projectId } : {}),
      ...(tailnetAuthKey ? { tailnetAuthKey } : {}),
    },
    onProgress,
  );
}

/** Destroys a node machine, then removes its tailnet device (hostname = node id), so no stale device stays. */
export async function deprovisionNode(
  deps: ProvisioningDeps,
  nodeId: string,
  onProgress: ProgressListener = () => {},
): Promise<void> {
  await deps.provider.destroy(nodeId, onProgress);
  if (!deps.tailscale) return;
  const device = await deps.tailscale.findDevice(nodeId);
  if (device) await deps.tailscale.deleteDevice(device.id);
  onProgress({
    step: 'tailnet_device_removed',
    state: 'done',
    detail: device ? `device ${device.id}` : 'no device on the tailnet',
    at: deps.clock.now(),
  });
}
