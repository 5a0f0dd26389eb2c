// One Pulumi stack per node, behind a small interface: the real one drives the Automation API (which needs
// the `pulumi` CLI); tests use a mock one that runs the same inline program under Pulumi's mocks.
import { mkdirSync } from 'node:fs';
import type { EngineEvent, LocalWorkspaceOptions } from '@pulumi/pulumi/automation';
import { ProviderError } from './provider.ts';

/** An inline Pulumi program: declares resources, returns outputs. */
export type InlineProgram = () => Promise<Record<string, unknown>>;

export interface NodeStack {
  /** Creates or updates the stack's resources; resolves to the program's output values. */
  up(onEvent: (e: EngineEvent) => void): Promise<Record<string, unknown>>;
  /** Deletes every resource of the stack. */
  destroy(onEvent: (e: EngineEvent) => void): Promise<void>;
  /** Forgets the (empty) stack. */
  remove(): Promise<void>;
}

export interface NodeStacks {
  /** The node's stack, created if new, running `program`. */
  open(nodeId: string, program: InlineProgram): Promise<NodeStack>;
  /** The node's stack if it exists. */
  find(nodeId: string): Promise<NodeStack | undefined>;
  /** Stacks that hold resources, with their outputs. */
  list(): Promise<{ nodeId: string; outputs: Record<string, unknown> }[]>;
}

/** The Pulumi project every node stack belongs to. */
export const PULUMI_PROJECT = 'warren-nodes';

export interface AutomationStacksConfig {
  /** File backend directory. */
  stateDir: string;
  /** Encrypts secrets (user data) in state. */
  stateEncryptionPassphrase: string;
  /** Given to the hcloud provider as HCLOUD_TOKEN (environment only, never state). */
  hcloudToken: string;
}

/** Node stacks on the Automation API with a local file backend. Fails with `provider_unavailable` without the CLI. */
export function automationNodeStacks(config: AutomationStacksConfig): NodeStacks {
  const options = (): LocalWorkspaceOptions => {
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
  // Pulumi's SDK takes about a second to load: imported when a Hetzner node is first handled.
  const automation = () => import('@pulumi/pulumi/automation');
  type Stack = Awaited<ReturnType<Awaited<ReturnType<typeof automation>>['LocalWorkspace']['selectStack']>>;
  const wrap = (stack: Stack, nodeId: string): NodeStack => ({
    async up(onEvent) {
      const r = await stack.up({ onEvent });
      return Object.fromEntries(Object.entries(r.outputs).map(([k, o]) => [k, o.value]));
    },
    async destroy(onEvent) {
      await stack.destroy({ onEvent });
    },
    async remove() {
      await stack.workspace.removeStack(nodeId);
    },
  });
  return {
    async open(nodeId, program) {
      const opts = options();
      const { LocalWorkspace } = await automation();
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: nodeId, projectName: PULUMI_PROJECT, program },
        opts,
      );
      return wrap(stack, nodeId);
    },
    async find(nodeId) {
      const opts = options();
      const { LocalWorkspace, StackNotFoundError } = await automation();
      try {
        const stack = await LocalWorkspace.selectStack(
          { stackName: nodeId, projectName: PULUMI_PROJECT, program: async () => ({}) },
          opts,
        );
        return wrap(stack, nodeId);
      } catch (error) {
        if (error instanceof StackNotFoundError) return undefined;
        throw error;
      }
    },
    async list() {
      const opts = options();
      const { LocalWorkspace } = await automation();
      const ws = await LocalWorkspace.create(opts);
      const out: { nodeId: string; outputs: Record<string, unknown> }[] = [];
      for (const s of await ws.listStacks()) {
        if ((s.resourceCount ?? 0) === 0) continue;
        const outputs = await ws.stackOutputs(s.name);
        out.push({
          nodeId: s.name,
          outputs: Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.value])),
        });
      }
      return out;
    },
  };
}
