// Node stacks without the pulumi CLI: `up` runs the real inline program under Pulumi's mocks and records the
// resources it declares; `destroy` deletes them. Engine events follow the Automation API's shapes.
import * as pulumi from '@pulumi/pulumi';
import type { EngineEvent } from '@pulumi/pulumi/automation';
import { type InlineProgram, type NodeStack, type NodeStacks, PULUMI_PROJECT } from '../node-stacks.ts';

/** A resource the program declared, with the inputs Pulumi would send to the provider. */
export interface MockResource {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
}

interface MockStackState {
  resources: MockResource[];
  outputs: Record<string, unknown>;
}

export class MockNodeStacks implements NodeStacks {
  /** Stacks that exist (created and not removed), by node id. */
  readonly stacks = new Map<string, MockStackState>();
  /** Every resource ever destroyed, in order. */
  readonly destroyed: MockResource[] = [];
  /** Make the next `up` fail with this message (a Hetzner API error, say). */
  failNextUp: string | undefined;
  private nextId = 1000;
  private seq = 0;

  async open(nodeId: string, program: InlineProgram): Promise<NodeStack> {
    if (!this.stacks.has(nodeId)) this.stacks.set(nodeId, { resources: [], outputs: {} });
    return this.handle(nodeId, program);
  }

  async find(nodeId: string): Promise<NodeStack | undefined> {
    return this.stacks.has(nodeId) ? this.handle(nodeId, async () => ({})) : undefined;
  }

  async list() {
    return [...this.stacks.entries()]
      .filter(([, s]) => s.resources.length > 0)
      .map(([nodeId, s]) => ({ nodeId, outputs: s.outputs }));
  }

  private event(op: string, nodeId: string, r: { type: string; name: string }, done: boolean): EngineEvent {
    const metadata = {
      op: op as 'create',
      urn: `urn:pulumi:${nodeId}::${PULUMI_PROJECT}::${r.type}::${r.name}`,
      type: r.type,
      provider: '',
    };
    return {
      sequence: ++this.seq,
      timestamp: 0,
      ...(done ? { resOutputsEvent: { metadata } } : { resourcePreEvent: { metadata } }),
    };
  }

  private handle(nodeId: string, program: InlineProgram): NodeStack {
    const state = () => {
      const s = this.stacks.get(nodeId);
      if (!s) throw new Error(`stack ${nodeId} was removed`);
      return s;
    };
    return {
      up: async (onEvent) => {
        if (this.failNextUp) {
          const message = this.failNextUp;
          this.failNextUp = undefined;
          onEvent({
            sequence: ++this.seq,
            timestamp: 0,
            diagnosticEvent: { message, color: 'never', severity: 'error' },
          });
          throw new Error(message);
        }
        const s = state();
        s.resources = [];
        await pulumi.runtime.setMocks(
          {
            newResource: (args) => {
              const id = String(++this.nextId);
              onEvent(this.event('create', nodeId, args, false));
              s.resources.push({ type: args.type, name: args.name, id, inputs: args.inputs });
              onEvent(this.event('create', nodeId, args, true));
              const extra =
                args.type === 'hcloud:index/server:Server'
                  ? { ipv4Address: `203.0.113.${this.nextId % 250}`, ipv6Address: '2001:db8::1' }
                  : {};
              return { id, state: { ...args.inputs, ...extra } };
            },
            call: (args) => args.inputs,
          },
          PULUMI_PROJECT,
          nodeId,
          false,
        );
        const raw = await program();
        const outputs: Record<string, unknown> = {};
        for (const [k, o] of Object.entries(raw)) {
          outputs[k] = pulumi.Output.isInstance(o) ? await new Promise((r) => o.apply(r)) : o;
        }
        s.outputs = outputs;
        return outputs;
      },
      destroy: async (onEvent) => {
        const s = state();
        for (const r of [...s.resources].reverse()) {
          onEvent(this.event('delete', nodeId, r, false));
          this.destroyed.push(r);
          onEvent(this.event('delete', nodeId, r, true));
        }
        s.resources = [];
        s.outputs = {};
      },
      remove: async () => {
        // Like `pulumi stack rm` without --force: a stack that still holds resources is not removed.
        if (state().resources.length > 0) throw new Error(`stack ${nodeId} still has resources`);
        this.stacks.delete(nodeId);
      },
    };
  }
}
