// `warren node join`: runs a node agent in the foreground until Ctrl-C (joins the first time, resumes afterwards).
import { ConfigError, nodeConfigFromArgs, startNode } from '../node/index.ts';

export const NODE_JOIN_USAGE = `usage: warren node join --control URL --join-token T [--name NAME] [--data DIR]
                         [--listen host:port] [--network direct] [--laptop]
                         [--advertise URL] [--base-domain DOMAIN] [--capacity N]

Joins this machine to a Warren control plane as a node and serves workspaces until stopped.
Run again with the same --data to resume; the join token is needed only the first time.`;

/** Runs the node; resolves with the exit code once it has stopped. */
export async function nodeJoin(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(NODE_JOIN_USAGE);
    return 0;
  }
  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    node = await startNode(nodeConfigFromArgs(args));
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`warren node join: ${e.message}\n\n${NODE_JOIN_USAGE}`);
      return 2;
    }
    console.error(`warren node join: ${(e as Error).message}`);
    return 1;
  }
  // One machine-readable line, so `warren up` and scripts can find the node.
  console.log(`node ready ${JSON.stringify({ nodeId: node.nodeId, url: node.url })}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await node.stop();
  return 0;
}
