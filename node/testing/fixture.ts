// A ready-made setup for proxy tests: a test issuer, a joined node, and a running echo workspace owned by a user.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newId, type WorkspaceAssignment } from '../../contract/index.ts';
import { eventually } from '../../mesh/testing/index.ts';
import type { TerminalConfig } from '../workspaces/index.ts';
import { startTestIssuer, type TestIssuer } from './test-issuer.ts';
import { startTestNode, type TestNode } from './test-node.ts';

/** Absolute path of the echo app, for app commands in tests: `exec ${process.execPath} ${ECHO_APP}`. */
export const ECHO_APP = `${import.meta.dir}/echo-app.ts`;

export interface ProxyFixture {
  issuer: TestIssuer;
  node: TestNode;
  /** A running echo workspace. */
  ws: WorkspaceAssignment;
  owner: string;
  /** Requests the workspace's app has seen, one line each. */
  appLog(id?: string): string[];
  /** Places and waits for a workspace with the echo app (or `appCommand`). */
  addWorkspace(o?: {
    ownerId?: string;
    appCommand?: string | null;
    /** The workspace's ACP agent command; default none. */
    agentCommand?: string;
    /** The terminal's login shell; default none (bash where present, else sh). */
    shell?: string;
    wait?: boolean;
  }): Promise<WorkspaceAssignment>;
  close(): Promise<void>;
}

/**
 * Starts issuer + node + one running echo workspace; `fastPath: false` serves everything through Bun.serve,
 * `allowPathApps` starts the node with `--allow-path-apps`.
 */
export async function startProxyFixture(
  o: { fastPath?: boolean; allowPathApps?: boolean; terminal?: Partial<TerminalConfig> } = {},
): Promise<ProxyFixture> {
  // Heartbeats only when a test asks (heartbeatNow) or a workspace changes, so key-set fetches are countable.
  const issuer = await startTestIssuer({ heartbeatIntervalMs: 60_000 });
  const node = await startTestNode({
    controlUrl: issuer.url,
    joinToken: issuer.joinToken(),
    configure: (c) => {
      if (o.fastPath !== undefined) c.fastPath = o.fastPath;
      if (o.allowPathApps !== undefined) c.allowPathApps = o.allowPathApps;
      c.terminal = { ...c.terminal, ...o.terminal };
    },
  });
  const addWorkspace: ProxyFixture['addWorkspace'] = async (o = {}) => {
    const spec: WorkspaceAssignment = {
      id: newId('workspace'),
      name: 'echo',
      projectId: newId('project'),
      ownerId: o.ownerId ?? newId('user'),
      desiredState: 'running',
      appCommand: o.appCommand === undefined ? `exec ${process.execPath} ${ECHO_APP}` : o.appCommand,
      ...(o.agentCommand === undefined ? {} : { agentCommand: o.agentCommand }),
      ...(o.shell === undefined ? {} : { shell: o.shell }),
      env: {},
    };
    await issuer.place(node.nodeId, spec, node.url);
    if (o.wait !== false)
      await eventually(() => node.runtime.get(spec.id)?.status === 'running', 'workspace running');
    return spec;
  };
  const ws = await addWorkspace();
  return {
    issuer,
    node,
    ws,
    owner: ws.ownerId,
    addWorkspace,
    appLog(id = ws.id) {
      try {
        return readFileSync(join(node.dataDir, 'workspaces', id, 'requests.log'), 'utf8')
          .split('\n')
          .filter(Boolean);
      } catch {
        return [];
      }
    },
    async close() {
      await node.cleanup();
      await issuer.stop();
    },
  };
}
