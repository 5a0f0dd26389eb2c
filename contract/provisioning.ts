// Progress of creating and deleting node machines (providers, warm pool), as the API streams it and the UI shows it.
import * as v from 'valibot';

/** Steps of provisioning a node, in the order they happen; a provider reports only the steps it has. */
export const PROVISION_STEPS = [
  /** A warm node of the pool was sought for a workspace (`done`: claimed; `failed`: none free, one is provisioned). */
  'warm_claim',
  /** One-use, short-lived Warren join token minted. */
  'join_token',
  /** One-use, tagged Tailscale auth key minted (tailscale network only). */
  'tailnet_key',
  /** Machine resources being created (cloud resources, or the local process spawned). */
  'machine',
  /** The machine boots and runs its setup (cloud-init). */
  'boot',
  /** The node process runs and joins the control plane. */
  'node_started',
  /** Deleting: the machine and its resources are gone. */
  'machine_destroyed',
  /** Deleting: the node's tailnet device is removed. */
  'tailnet_device_removed',
] as const;
export const ProvisionStep = v.picklist(PROVISION_STEPS);
export type ProvisionStep = v.InferOutput<typeof ProvisionStep>;

export const PROGRESS_STATES = ['started', 'done', 'failed'] as const;
export const ProgressState = v.picklist(PROGRESS_STATES);
export type ProgressState = v.InferOutput<typeof ProgressState>;

/** One progress report. `detail` is for people (a resource, a pid); it never holds a secret. */
export const ProgressEvent = v.object({
  step: ProvisionStep,
  state: ProgressState,
  detail: v.optional(v.pipe(v.string(), v.maxLength(1000))),
  /** Milliseconds since the epoch. */
  at: v.number(),
});
export type ProgressEvent = v.InferOutput<typeof ProgressEvent>;
