// `warren node join`: runs a node agent in the foreground until Ctrl-C (joins the first time, resumes afterwards).
import { homedir } from 'node:os';
import {
  ConfigError,
  joinLaptop,
  LaptopJoinError,
  type NodeConfig,
  nodeConfigFromArgs,
  type ParentPipe,
  startNode,
  watchParentPipe,
} from '../node/index.ts';

export const NODE_JOIN_USAGE = `usage: warren node join --control URL --join-token T [--name NAME] [--data DIR]
                         [--listen host:port] [--network direct|tailscale] [--tailscale-socket PATH]
                         [--laptop [--install-service]] [--join-token-file FILE]
                         [--advertise URL] [--base-domain DOMAIN] [--allow-path-apps] [--capacity N]
                         [--exit-with-parent]

Joins this machine to a Warren control plane as a node and serves workspaces until stopped.
Run again with the same --data to resume; the join token is needed only the first time. One node at a time
may use a data dir: a second one on it refuses to start. --exit-with-parent stops the node when its stdin
ends (what warren up uses: it holds a pipe there, which closes when it dies).
--laptop prints each step, goes awaiting_agent (not offline) while asleep, and prints a run-at-login
service (systemd user unit or launchd agent); --install-service writes it (it never enables it).
Browsers open apps on ws-{id}.DOMAIN (default localhost); --allow-path-apps also lets /w/{id}/_auth set a
cookie, which puts every app on the node's one origin.`;

/** Runs the node; resolves with the exit code once it has stopped. */
export async function nodeJoin(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(NODE_JOIN_USAGE);
    return 0;
  }
  const installService = args.includes('--install-service');
  const nodeArgs = args.filter((a) => a !== '--install-service');
  let node: { nodeId: string; url: string; stop(): Promise<void> };
  // Watched from before the start: a parent that dies while the node joins still takes it down.
  let parent: ParentPipe | undefined;
  try {
    const config = nodeConfigFromArgs(nodeArgs);
    if (installService && !config.laptop) throw new ConfigError('--install-service goes with --laptop');
    if (config.exitWithParent) parent = watchParentPipe(Bun.stdin.stream());
    node = config.laptop ? await laptop(config, installService) : await startNode(config);
  } catch (e) {
    parent?.stop();
    if (e instanceof ConfigError) {
      console.error(`warren node join: ${e.message} (see warren node join --help)`);
      return 2;
    }
    // A laptop step already printed what failed and what to do.
    if (!(e instanceof LaptopJoinError)) console.error(`warren node join: ${(e as Error).message}`);
    return 1;
  }
  // One machine-readable line, so `warren up` and scripts can find the node.
  console.log(`node ready ${JSON.stringify({ nodeId: node.nodeId, url: node.url })}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    void parent?.closed.then(() => {
      console.error('warren node join: the process that started this node is gone; stopping');
      stop();
    });
  });
  parent?.stop();
  // The same clean stop for every cause: workspaces ended, the sandbox's namespaces released.
  await node.stop();
  return 0;
}

/** `--laptop`: the step-by-step join; the login service runs this same command without the one-use token. */
async function laptop(config: NodeConfig, installService: boolean) {
  const running = await joinLaptop(config, {
    write: (line) => console.log(line),
    installService,
    platform: process.platform,
    home: homedir(),
    program: process.execPath,
    args: [
      // The single executable (modules under Bun's /$bunfs/) is its own program; a checkout runs its main file.
      ...(Bun.main.startsWith('/$bunfs/') ? [] : [Bun.main]),
      'node',
      'join',
      '--laptop',
      '--network',
      config.network,
      ...(config.network === 'tailscale' ? ['--tailscale-socket', config.tailscaleSocket] : []),
      '--name',
      config.name,
      '--listen',
      `${config.listen.host}:${config.listen.port}`,
    ],
  });
  return { nodeId: running.node.nodeId, url: running.node.url, stop: () => running.stop() };
}
