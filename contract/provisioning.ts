// Progress of creating and deleting node machines (providers, warm pool), as the API streams it and the UI shows it.
import * as v from 'valibot';
import { NodeId, ProjectId } from './ids.ts';

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

/** Where node machines come from: processes on the control plane's host, or Hetzner Cloud servers. */
export const PROVIDER_KINDS = ['local', 'hetzner'] as const;
export const ProviderKind = v.picklist(PROVIDER_KINDS);
export type ProviderKind = v.InferOutput<typeof ProviderKind>;

/** Where a node record stands: created and joining, joined, failed, being deleted, deleted. */
export const NODE_PROVISIONING_STATES = ['provisioning', 'ready', 'failed', 'deleting', 'deleted'] as const;
export const NodeProvisioningState = v.picklist(NODE_PROVISIONING_STATES);
export type NodeProvisioningState = v.InferOutput<typeof NodeProvisioningState>;

/** `POST /api/v1/nodes`: a node machine created by the configured provider. */
export const NodeProvisionRequest = v.object({
  /** The project the node serves (a label on the machine); absent: a node of the instance. */
  projectId: v.optional(ProjectId),
});
export type NodeProvisionRequest = v.InferOutput<typeof NodeProvisionRequest>;

/**
 * A node being created or deleted by its provider, with its progress so far, oldest first. The node id is
 * chosen before the machine exists (the provider names the machine after it) and the node joins under it.
 */
export const NodeProvisioning = v.object({
  nodeId: NodeId,
  provider: ProviderKind,
  state: NodeProvisioningState,
  events: v.array(ProgressEvent),
  /** Why it failed, for people; never a secret. */
  error: v.optional(v.string()),
});
export type NodeProvisioning = v.InferOutput<typeof NodeProvisioning>;
