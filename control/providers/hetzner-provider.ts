// The `hetzner` provider: one Pulumi stack per node (Automation API, inline program on @pulumi/hcloud).
// Needs the `pulumi` CLI on the control plane's host; it is not an npm package, so it is checked at use.
import { mkdirSync } from 'node:fs';
// Type-only: Pulumi's SDK takes about a second to load, so it is imported when a Hetzner node is handled.
import type { EngineEvent, LocalWorkspaceOptions } from '@pulumi/pulumi/automation';
import { type Clock, systemClock } from '../clock.ts';
import { renderCloudInit } from './cloud-init.ts';
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

/** The Pulumi project every node stack belongs to. */
export const PULUMI_PROJECT = 'warren-nodes';

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
export function createHetznerProvider(config: HetznerConfig, options: { clock?: Clock } = {}): Provider {
  const clock = options.clock ?? systemClock;
  const workspaceOptions = (): LocalWorkspaceOptions => {
    if (!Bun.which('pulumi')) {
      throw new ProviderError(
        'provider_unavailable',
        'the hetzner provider needs the pulumi CLI on this host (https://www.pulumi.com/docs/install/); it is not on PATH',
      );
    }
    mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
    return {
      projectSettings: {
        name: PULUMI_PROJECT,
        runtime: 'nodejs',
        backend: { url: `file://${config.stateDir}` },
      },
      secretsProvider: 'passphrase',
      envVars: {
        HCLOUD_TOKEN: config.hcloudToken,
        PULUMI_CONFIG_PASSPHRASE: config.stateEncryptionPassphrase,
      },
    };
  };
  const forbidden = [config.hcloudToken, config.stateEncryptionPassphrase, ...config.otherSecrets];

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
        nodeArgv: config.nodeArgv,
        forbiddenSecrets: forbidden,
      });
      const opts = workspaceOptions();
      const { LocalWorkspace } = await import('@pulumi/pulumi/automation');
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
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: request.nodeId, projectName: PULUMI_PROJECT, program },
        opts,
      );
      onProgress({ step: 'machine', state: 'started', detail: `stack ${request.nodeId}`, at: clock.now() });
      try {
        const result = await stack.up({
          onEvent: (e) => {
            const p = progressFromEngineEvent(e, clock.now());
            if (p) onProgress(p);
          },
        });
        const serverId = String(result.outputs.serverId?.value ?? '');
        const ipv4 = result.outputs.ipv4?.value;
        onProgress({ step: 'machine', state: 'done', detail: `server ${serverId}`, at: clock.now() });
        // The node's join (seen by the control plane) ends the boot step; the provider's part is done.
        onProgress({
          step: 'boot',
          state: 'started',
          detail: 'cloud-init installs tailscale, Bun and Warren',
          at: clock.now(),
        });
        return {
          nodeId: request.nodeId,
          provider: 'hetzner',
          providerRef: serverId,
          ...(typeof ipv4 === 'string' ? { publicIp: ipv4 } : {}),
        };
      } catch (error) {
        onProgress({
          step: 'machine',
          state: 'failed',
          detail: (error as Error).message.slice(0, 500),
          at: clock.now(),
        });
        throw new ProviderError('provider_failed', `creating node ${request.nodeId} on Hetzner failed`);
      }
    },

    async destroy(nodeId, onProgress: ProgressListener = () => {}) {
      const { LocalWorkspace, StackNotFoundError } = await import('@pulumi/pulumi/automation');
      let stack: Awaited<ReturnType<typeof LocalWorkspace.selectStack>>;
      try {
        stack = await LocalWorkspace.selectStack(
          { stackName: nodeId, projectName: PULUMI_PROJECT, program: async () => ({}) },
          workspaceOptions(),
        );
      } catch (error) {
        if (error instanceof StackNotFoundError) {
          onProgress({ step: 'machine_destroyed', state: 'done', detail: 'no stack', at: clock.now() });
          return;
        }
        throw error;
      }
      await stack.destroy({
        onEvent: (e) => {
          const p = progressFromEngineEvent(e, clock.now());
          if (p) onProgress({ ...p, step: 'machine_destroyed' });
        },
      });
      await stack.workspace.removeStack(nodeId);
      onProgress({
        step: 'machine_destroyed',
        state: 'done',
        detail: `stack ${nodeId} removed`,
        at: clock.now(),
      });
    },

    async list() {
      const { LocalWorkspace } = await import('@pulumi/pulumi/automation');
      const ws = await LocalWorkspace.create(workspaceOptions());
      const out: ProvisionedNode[] = [];
      for (const s of await ws.listStacks()) {
        if ((s.resourceCount ?? 0) === 0) continue;
        await ws.selectStack(s.name);
        const outputs = await ws.stackOutputs(s.name);
        const ipv4 = outputs.ipv4?.value;
        out.push({
          nodeId: s.name,
          provider: 'hetzner',
          providerRef: String(outputs.serverId?.value ?? ''),
          ...(typeof ipv4 === 'string' ? { publicIp: ipv4 } : {}),
        });
      }
      return out;
    },
  };
}
