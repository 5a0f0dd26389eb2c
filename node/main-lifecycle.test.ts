// The node's lifecycle: a start that fails at any stage, and a stop, leave no listener, process or lock behind.
import { afterEach, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import {
  eventually,
  liveDescendants,
  openListeners,
  startTestNode,
  type TestNodeOptions,
  testScope,
  workspaceSpec,
} from './testing/index.ts';

const scope = testScope();
afterEach(() => scope.cleanup());
const issuer = () => scope.issuer({ heartbeatIntervalMs: 60_000 });
const dataDir = () => scope.dataDir();

/** A TCP port on 127.0.0.1 held by this test until it ends. */
function takenTcpPort(): number {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  scope.defer(() => s.stop(true));
  return s.port;
}

/** A UDP port on 127.0.0.1 held by this test until it ends. */
async function takenUdpPort(): Promise<number> {
  const s = await Bun.udpSocket({ hostname: '127.0.0.1', port: 0 });
  scope.defer(() => s.close());
  return s.port;
}

/**
 * Starts a node that must fail with `message`, and checks that it left nothing: the same listening sockets and
 * live child processes as before, and its data dir free for the next start.
 */
async function failsCleanly(o: TestNodeOptions, message: string): Promise<void> {
  const listeners = openListeners();
  const children = liveDescendants();
  await expect(startTestNode(o)).rejects.toThrow(message);
  expect(openListeners()).toEqual(listeners);
  await eventually(
    () => JSON.stringify(liveDescendants()) === JSON.stringify(children),
    'no process left by the failed start',
  );
}

describe('A node whose start fails', () => {
  it('at the tailnet lookup stops the git server, the runtime and the agents it had started', async () => {
    const iss = await issuer();
    await failsCleanly(
      {
        controlUrl: iss.url,
        joinToken: iss.joinToken(),
        dataDir: dataDir(),
        configure: (c) => {
          c.network = 'tailscale';
          c.tailscaleSocket = join(dataDir(), 'no-tailscaled.sock');
        },
      },
      'tailscale',
    );
  });

  it('at the server (its port taken) leaves no listener', async () => {
    const iss = await issuer();
    const port = takenTcpPort();
    await failsCleanly(
      {
        controlUrl: iss.url,
        joinToken: iss.joinToken(),
        dataDir: dataDir(),
        port,
        configure: (c) => {
          c.fastPath = false;
        },
      },
      String(port),
    );
  });

  it('at the raw front (its port taken) stops the full server already listening behind it', async () => {
    const iss = await issuer();
    const port = takenTcpPort();
    await failsCleanly(
      { controlUrl: iss.url, joinToken: iss.joinToken(), dataDir: dataDir(), port },
      'Failed to listen',
    );
  });

  it('at the join (a spent token) stops the server, the raw front and the agents', async () => {
    const iss = await issuer();
    const token = iss.joinToken();
    const first = await startTestNode({ controlUrl: iss.url, joinToken: token, dataDir: dataDir() });
    await first.stop();
    await failsCleanly({ controlUrl: iss.url, joinToken: token, dataDir: dataDir() }, 'join token');
  });

  it('at the mesh member (its port taken) ends the restored workspaces and every listener, and frees the data dir', async () => {
    const iss = await issuer();
    const dir = dataDir();
    const first = await startTestNode({ controlUrl: iss.url, joinToken: iss.joinToken(), dataDir: dir });
    const ws = workspaceSpec();
    await iss.place(first.nodeId, ws, first.url);
    await eventually(() => first.runtime.get(ws.id)?.status === 'running', 'workspace running');
    await first.stop();
    const meshPort = await takenUdpPort();
    await failsCleanly(
      {
        controlUrl: iss.url,
        dataDir: dir,
        configure: (c) => {
          c.mesh.listen = { host: '127.0.0.1', port: meshPort };
        },
      },
      'EADDRINUSE',
    );
    // The lock went with the rest: the same data dir starts again, its workspace with it.
    const again = await startTestNode({ controlUrl: iss.url, dataDir: dir });
    scope.defer(() => again.stop());
    await eventually(() => again.runtime.get(ws.id)?.status === 'running', 'workspace running again');
  });
});

describe('A node that stops', () => {
  it('leaves no listener and no workspace process', async () => {
    const iss = await issuer();
    const listeners = openListeners();
    const children = liveDescendants();
    const n = await startTestNode({ controlUrl: iss.url, joinToken: iss.joinToken(), dataDir: dataDir() });
    const ws = workspaceSpec();
    await iss.place(n.nodeId, ws, n.url);
    await eventually(() => n.runtime.get(ws.id)?.status === 'running', 'workspace running');
    expect(openListeners().length).toBeGreaterThan(listeners.length);
    expect(liveDescendants().length).toBeGreaterThan(children.length);
    await n.stop();
    expect(openListeners()).toEqual(listeners);
    await eventually(() => JSON.stringify(liveDescendants()) === JSON.stringify(children), 'no process left');
  });
});
