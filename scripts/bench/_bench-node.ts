// A real node process for the benchmarks (`warren node join` against a test issuer) with the tiny upstream placed on it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { newId } from '../../contract/index.ts';
import { eventually, type startTestIssuer, tempDataDir } from '../../node/testing/index.ts';
import { NODE_READY, readReadyLine, spawnWarrenCli } from '../../tests/testing/index.ts';

type Issuer = Awaited<ReturnType<typeof startTestIssuer>>;

/** The tiny upstream of the proxy benchmarks as a workspace app command. */
export const UPSTREAM_APP = `exec ${process.execPath} ${join(import.meta.dir, '_proxy-upstream.ts')}`;

/** A running node and the one workspace placed on it, reachable through its proxy. */
export interface BenchNode {
  nodeId: string;
  url: string;
  pid: number;
  /** The workspace placed on it and its owner (for minting tokens of other scopes). */
  workspaceId: string;
  ownerId: string;
  /** `<node>/w/<id>/`: the workspace through the node's proxy. */
  workspaceUrl: string;
  /** Headers that carry the workspace token. */
  auth: Record<string, string>;
  token: string;
  /** The app's port as the node reports it. */
  port: number;
  stop(): Promise<void>;
}

/** Starts `warren node join` with `args` added (e.g. `--runtime process`) and places the upstream on it. */
export async function startBenchNode(issuer: Issuer, name: string, args: string[] = []): Promise<BenchNode> {
  const dataDir = tempDataDir();
  const node = spawnWarrenCli(
    [
      'node',
      'join',
      '--control',
      issuer.url,
      '--join-token',
      issuer.joinToken(),
      '--data',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      '--name',
      name,
      ...args,
    ],
    { stderr: 'inherit' },
  );
  const stop = async () => {
    node.kill('SIGTERM');
    await node.exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // A sandboxed node builds its namespaces before it serves: a generous deadline.
    const { ready } = await readReadyLine<{ nodeId: string; url: string }>(
      node,
      NODE_READY,
      `node ${name}`,
      60_000,
    );
    const ws = {
      id: newId('workspace'),
      name,
      projectId: newId('project'),
      ownerId: newId('user'),
      desiredState: 'running' as const,
      appCommand: UPSTREAM_APP,
      env: {},
    };
    await issuer.place(ready.nodeId, ws, ready.url);
    const token = await issuer.mint({
      workspaceId: ws.id,
      userId: ws.ownerId,
      scopes: ['http'],
      ttlSec: 3600,
    });
    const workspaceUrl = `${ready.url}/w/${ws.id}/`;
    const auth = { authorization: `Bearer ${token}` };
    const port = await eventually(
      async () => {
        const r = await fetch(workspaceUrl, { headers: auth });
        await r.arrayBuffer();
        if (r.status !== 200) return undefined;
        const list = (await (
          await fetch(`${ready.url}/_node/workspaces`, {
            headers: { authorization: `Bearer ${await issuer.commandToken(ready.nodeId)}` },
          })
        ).json()) as { items: { port?: number }[] };
        return list.items[0]?.port;
      },
      `the bench workspace on ${name} to run`,
      20_000,
    );
    return {
      ...ready,
      pid: node.pid,
      workspaceId: ws.id,
      ownerId: ws.ownerId,
      workspaceUrl,
      auth,
      token,
      port,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
