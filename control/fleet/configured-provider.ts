// The provider WARREN_PROVIDER names: Hetzner machines, or local node processes started by this `warren`.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dataDirHolder } from '../../disk/index.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../db/index.ts';
import type { Log } from '../log.ts';
import { createHetznerProvider, createLocalProvider, type Provider } from '../providers/index.ts';
import type { InfraConfig } from './infra-config.ts';
import { waitForJoin } from './join-poll.ts';
import { LOCAL_NODES_DIR, listenArgs, localNodeName } from './local-node-files.ts';

/** The `warren` command of this checkout, for local node processes. */
const CLI = resolve(import.meta.dir, '../../cli/main.ts');
/**
 * How this `warren` runs itself again: the single executable (`bun run build:cli`, whose modules live under
 * Bun's `/$bunfs/`) is its own program; a checkout runs cli/main.ts with Bun.
 */
const SELF = import.meta.dir.startsWith('/$bunfs/') ? [process.execPath] : [process.execPath, CLI];

export interface ConfiguredProviderDeps {
  config: InfraConfig;
  store: Store;
  clock: Clock;
  log: Log;
  /** The control plane's data dir: local nodes live in `<dataDir>/nodes/<nodeId>`. */
  dataDir: string;
  /** URL nodes join. */
  controlUrl: string;
}

/** The provider WARREN_PROVIDER names, built from its settings. */
export function createConfiguredProvider(deps: ConfiguredProviderDeps): Provider {
  const p = deps.config.provider;
  if (p.kind === 'hetzner') return createHetznerProvider(p.hetzner, { clock: deps.clock });
  const base = join(deps.dataDir, LOCAL_NODES_DIR);
  return createLocalProvider({
    baseDir: base,
    clock: deps.clock,
    log: deps.log,
    command: (input) => {
      // The join token goes through a 0600 file, as on a cloud node: never argv (ps shows argv to everyone).
      mkdirSync(input.dataDir, { recursive: true, mode: 0o700 });
      const tokenFile = join(input.dataDir, 'join-token');
      // Resuming a node that joined before: no token at all.
      if (input.joinToken) writeFileSync(tokenFile, input.joinToken, { mode: 0o600 });
      return {
        argv: [
          ...(p.nodeCommand ?? SELF),
          'node',
          'join',
          '--name',
          localNodeName(base, input.dataDir),
          '--data',
          join(input.dataDir, 'node'),
          ...listenArgs(p.listenHost ?? '127.0.0.1', input.dataDir),
          '--network',
          'direct',
        ],
        env: {
          // The current URL, also for a node resumed after a restart on another port.
          WARREN_CONTROL_URL: input.controlUrl || deps.controlUrl,
          WARREN_JOIN_TOKEN_FILE: tokenFile,
          // The control plane's data dir (master key, database, admin token) holds the node's: a sandboxed
          // workspace must see neither, even when both sit in a folder it is shown (a checkout's `.warren`).
          WARREN_SANDBOX_HIDE: resolve(deps.dataDir),
          // The sandbox where this machine has bubblewrap; else no isolation, which the node warns about.
          WARREN_RUNTIME: Bun.which('bwrap') ? 'sandbox' : 'process',
        },
      };
    },
    resumable: (dataDir) => existsSync(join(dataDir, 'node', 'node.json')),
    // `warren node join` locks its --data dir for as long as it runs.
    holder: (dataDir) => dataDirHolder(join(dataDir, 'node')),
    // Ready: the node joined (its row exists) and saved its membership, so it resumes after a restart.
    waitReady: ({ nodeId, dataDir }) =>
      waitForJoin(deps.store, nodeId, {
        timeoutMs: deps.config.joinTimeoutMs,
        message: `node ${nodeId} did not join in time`,
        also: () => existsSync(join(dataDir, 'node', 'node.json')),
      }),
  });
}
