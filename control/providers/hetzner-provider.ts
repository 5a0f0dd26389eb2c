// The `hetzner` provider: one Pulumi stack per node (Automation API, inline program on @pulumi/hcloud).
// Needs the `pulumi` CLI on the control plane's host; it is not an npm package, so it is checked at use.
import type { EngineEvent } from '@pulumi/pulumi/automation';
import { type Clock, systemClock } from '../clock.ts';
import { renderCloudInit } from './cloud-init.ts';
import { automationNodeStacks, type NodeStacks } from './node-stacks.ts';
import {
  type ProgressEvent,
  type ProgressListener,
  type Provider,
  ProviderError,
  type ProvisionedNode,
} from './provider.ts';

export interface HetznerConfig {
  /** Hetzner Cloud API token (read-write). Given to Pulumi as HCLOUD_TOKEN, never written to state or user data. */
  hcloudToken: string;
  /** Default `fsn1` (Falkenstein). */
  location: string;
  /** Default `cx22`: 2 vCPU, 4 GB, enough for a few workspaces. */
  serverType: string;
  /** Default `debian-12`: what cloud-init's commands were written for. */
  image: string;
  sshPublicKey?: string;
  /** Default none: SSH closed. */
  sshSourceIps: string[];
  placementGroupId?: number;
  /** Pulumi state directory (file backend, `file://<dir>`), e.g. `<data dir>/pulumi`. */
  stateDir: string;
  /** Passphrase encrypting secrets (user data) in Pulumi state; a long-lived secret, never in user data. */
  stateEncryptionPassphrase: string;
  /** Bun release nodes install. Default the control plane's own `Bun.version`, so both run the same Bun. */
  bunVersion: string;
  /** Shell command installing the `warren` command on the node. */
  warrenInstall: string;
  /** URL of the single `warren` executable to install instead of running `warrenInstall` (and Bun's installer). */
  warrenBinaryUrl?: string;
  /** The node's command line (without secrets; the join token comes from WARREN_JOIN_TOKEN_FILE). */
  nodeArgv: string[];
  /** Tags the node advertises on the tailnet; those of its auth key. Default `tag:warren-node`. */
  tailnetTags: string[];
  /** Other long-lived secrets (Tailscale API key or OAuth secret, master key) that must never reach user data. */
  otherSecrets: string[];
}

/** Defaults for what has one. */
export function defaultHetznerConfig(
  required: Pick<
    HetznerConfig,
    'hcloudToken' | 'stateDir' | 'stateEncryptionPassphrase' | 'warrenInstall' | 'nodeArgv'
  >,
): HetznerConfig {
  return {
    location: 'fsn1',
    serverType: 'cx22',
    image: 'debian-12',
    sshSourceIps: [],
    bunVersion: Bun.version,
    tailnetTags: ['tag:warren-node'],
    otherSecrets: [],
    ...required,
  };
}

/** Turns a Pulumi engine event into a progress event for people (resource type and name, never inputs). */
export function progressFromEngineEvent(event: EngineEvent, now: number): ProgressEvent | undefined {
  const pre = event.resourcePreEvent?.metadata;
  if (pre && pre.type !== 'pulumi:pulumi:Stack' && !pre.type.startsWith('pulumi:providers:')) {
    return {
      step: 'machine',
      state: 'started',
      detail: `${pre.op} ${pre.type} ${urnName(pre.urn)}`,
      at: now,
    };
  }
  const out = event.resOutputsEvent?.metadata;
  if (out && out.type !== 'pulumi:pulumi:Stack' && !out.type.startsWith('pulumi:providers:')) {
    return { step: 'machine', state: 'done', detail: `${out.op} ${out.type} ${urnName(out.urn)}`, at: now };
  }
  const diag = event.diagnosticEvent;
  if (diag && diag.severity === 'error') {
    return { step: 'machine', state: 'failed', detail: diag.message.trim().slice(0, 500), at: now };
  }
  return undefined;
}

function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf('::') + 2);
}

/** Creates the Hetzner provider. Fails with `provider_unavailable` at first use when the pulumi CLI is absent. */
export function createHetznerProvider(
  config: HetznerConfig,
  options: { clock?: Clock; stacks?: NodeStacks } = {},
): Provider {
  const clock = options.clock ?? systemClock;
  const stacks = options.stacks ?? automationNodeStacks(config);
  const forbidden = [config.hcloudToken, config.stateEncryptionPassphrase, ...config.otherSecrets];
  const toNode = (nodeId: string, outputs: Record<string, unknown>): ProvisionedNode => ({
    nodeId,
    provider: 'hetzner',
    providerRef: String(outputs.serverId ?? ''),
    ...(typeof outputs.ipv4 === 'string' ? { publicIp: outputs.ipv4 } : {}),
  });

  return {
    kind: 'hetzner',
    async create(request, onProgress: ProgressListener = () => {}) {
      if (!request.tailnetAuthKey) {
        throw new ProviderError(
          'provider_failed',
          'hetzner nodes join over Tailscale: a tailnet auth key is required',
        );
      }
      const userData = renderCloudInit({
        nodeId: request.nodeId,
        controlUrl: request.controlUrl,
        joinToken: request.joinToken,
        tailnetAuthKey: request.tailnetAuthKey,
        tailnetTags: config.tailnetTags,
        bunVersion: config.bunVersion,
        warrenInstall: config.warrenInstall,
        ...(config.warrenBinaryUrl ? { warrenBinaryUrl: config.warrenBinaryUrl } : {}),
        nodeArgv: config.nodeArgv,
        forbiddenSecrets: forbidden,
      });
      const { hetznerNodeProgram } = await import('./hetzner-program.ts');
      const program = hetznerNodeProgram({
        nodeId: request.nodeId,
        ...(request.projectId ? { projectId: request.projectId } : {}),
        location: config.location,
        serverType: config.serverType,
        image: config.image,
        ...(config.sshPublicKey ? { sshPublicKey: config.sshPublicKey } : {}),
        sshSourceIps: config.sshSourceIps,
        ...(config.placementGroupId !== undefined ? { placementGroupId: config.placementGroupId } : {}),
        userData,
      });
      const stack = await stacks.open(request.nodeId, program);
      onProgress({ step: 'machine', state: 'started', detail: `stack ${request.nodeId}`, at: clock.now() });
      let outputs: Record<string, unknown>;
      try {
        outputs = await stack.up((e) => {
          const p = progressFromEngineEvent(e, clock.now());
          if (p) onProgress(p);
        });
      } catch (error) {
        onProgress({
          step: 'machine',
          state: 'failed',
          detail: (error as Error).message.slice(0, 500),
          at: clock.now(),
        });
        throw new ProviderError('provider_failed', `creating node ${request.nodeId} on Hetzner failed`);
      }
      const node = toNode(request.nodeId, outputs);
      onProgress({ step: 'machine', state: 'done', detail: `server ${node.providerRef}`, at: clock.now() });
      // The node's join (seen by the control plane) ends the boot step; the provider's part is done.
      onProgress({
        step: 'boot',
        state: 'started',
        detail: 'cloud-init installs tailscale, Bun and Warren',
        at: clock.now(),
      });
      return node;
    },

    async destroy(nodeId, onProgress: ProgressListener = () => {}) {
      const stack = await stacks.find(nodeId);
      if (!stack) {
        onProgress({ step: 'machine_destroyed', state: 'done', detail: 'no stack', at: clock.now() });
        return;
      }
      await stack.destroy((e) => {
        const p = progressFromEngineEvent(e, clock.now());
        if (p) onProgress({ ...p, step: 'machine_destroyed' });
      });
      await stack.remove();
      onProgress({
        step: 'machine_destroyed',
        state: 'done',
        detail: `stack ${nodeId} removed`,
        at: clock.now(),
      });
    },

    async list() {
      return (await stacks.list()).map((s) => toNode(s.nodeId, s.outputs));
    },
  };
}
