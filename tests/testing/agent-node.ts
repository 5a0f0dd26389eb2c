// A real control plane's node process for agent tests: `warren node join` on a data dir of its own (the process
// runtime, so agents are found by their working directory), restartable, with workspaces and agent sockets.
import { expect } from 'bun:test';
import type { TestControl } from '../../control/testing/index.ts';
import { AgentSocketClient } from '../../node/testing/index.ts';
import { NODE_READY, startWarren } from './warren-process.ts';
import { untilWorkspaceStatus } from './workspace-status.ts';

export interface AgentNode {
  readonly node: { nodeId: string; url: string };
  readonly proc: ReturnType<typeof Bun.spawn> | undefined;
  /** Starts the node (joining with `extra` the first time); again after `stop` it restarts on the same data dir. */
  start(extra?: string[]): Promise<{ nodeId: string; url: string }>;
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** A workspace of `projectId` on this node, running. */
  workspace(projectId: string, name: string, agentCommand?: string): Promise<string>;
  token(id: string, scopes: ('http' | 'terminal' | 'agent')[]): Promise<string>;
  /** An agent socket of the workspace (an agent-scope token in `?token=`) that got its hello. */
  connect(id: string, query?: string, token?: string): Promise<AgentSocketClient>;
  /** Closes every socket it opened and stops the node. */
  close(): Promise<void>;
}

/** The node on `dataDir` for `control`; `env` is added to the node's environment. */
export function agentNode(
  control: TestControl,
  dataDir: string,
  env: Record<string, string> = {},
): AgentNode {
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  let node = { nodeId: '', url: '' };
  const sockets: AgentSocketClient[] = [];
  const self: AgentNode = {
    get node() {
      return node;
    },
    get proc() {
      return proc;
    },
    async start(extra = []) {
      const started = await startWarren<{ nodeId: string; url: string }, 'inherit'>(
        [
          'node',
          'join',
          '--control',
          control.url,
          ...extra,
          '--data',
          dataDir,
          '--listen',
          '127.0.0.1:0',
          '--name',
          'agents',
          // These tests find agent processes by their working directory on the host, which is the process
          // runtime's layout; an agent in the sandbox is tested in tests/sandbox.test.ts.
          '--runtime',
          'process',
        ],
        NODE_READY,
        'the node to serve',
        { stderr: 'inherit', env },
      );
      proc = started.proc;
      node = started.ready;
      return node;
    },
    async stop(signal = 'SIGTERM') {
      proc?.kill(signal);
      await proc?.exited;
    },
    async workspace(projectId, name, agentCommand) {
      const ws = await control.client.POST('/api/v1/workspaces', {
        body: { name, projectId, nodeId: node.nodeId, ...(agentCommand ? { agentCommand } : {}) },
      });
      expect(ws.response.status).toBeLessThan(300);
      const id = ws.data!.id;
      await untilWorkspaceStatus(
        control.client,
        id,
        'running',
        'the control plane to see the workspace running',
      );
      return id;
    },
    async token(id, scopes) {
      const t = await control.client.POST('/api/v1/workspaces/{id}/tokens', {
        params: { path: { id } },
        body: { scopes },
      });
      expect(t.response.status).toBe(200);
      return t.data!.token;
    },
    async connect(id, query = '', token) {
      const t = token ?? (await self.token(id, ['agent']));
      const c = await AgentSocketClient.connect(
        `${node.url.replace('http', 'ws')}/w/${id}/_agent?token=${encodeURIComponent(t)}${query}`,
      );
      sockets.push(c);
      await c.waitFor((x) => x.messages.find((m) => m.type === 'hello'), 'hello');
      return c;
    },
    async close() {
      for (const s of sockets) s.close();
      await self.stop();
    },
  };
  return self;
}
