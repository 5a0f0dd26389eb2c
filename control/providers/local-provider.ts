// The `local` provider: node processes on this host (`warren up --nodes N`, tests), each with its own data dir.
import { existsSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, systemClock } from '../clock.ts';
import type { Log } from '../log.ts';
import {
  type CreateNodeRequest,
  type ProgressEvent,
  type ProgressListener,
  type Provider,
  ProviderError,
  type ProvisionedNode,
} from './provider.ts';

/** What the command builder gets to build one node's command line. */
export interface LocalNodeCommandInput extends CreateNodeRequest {
  /** The node's own data directory (certificate, keys, workspaces). */
  dataDir: string;
}

/** One node's process: argv and extra environment. Secrets belong in `env`, not argv (argv is world-readable in ps). */
export interface LocalNodeCommand {
  argv: string[];
  env?: Record<string, string>;
}

export interface LocalProviderOptions {
  /** Each node runs in `<baseDir>/<nodeId>/`; the directory is removed when the node is destroyed. */
  baseDir: string;
  /** Builds `warren node join …` (or any command) for one node; the CLI owns the real flags. */
  command(input: LocalNodeCommandInput): LocalNodeCommand;
  /** Resolves when the node is ready (e.g. its /health answers). Default: the process was spawned. */
  waitReady?(node: { nodeId: string; pid: number; dataDir: string }): Promise<void>;
  /** Which data dirs under `baseDir` hold a node that `resume` may start again (default: every one). */
  resumable?(dataDir: string): boolean;
  /**
   * The pid of a live process that holds a node's data dir (its lock), if any: `resume` starts no second
   * process for that node. Default: none is ever held.
   */
  holder?(dataDir: string): number | undefined;
  /**
   * How long `resume` waits for a held node's holder to let go before it leaves that node alone. Default 10 s:
   * a node whose parent died a moment ago is still stopping its workspaces (each gets 3 s before SIGKILL).
   */
  heldWaitMs?: number;
  /** Where `resume` says which nodes it left alone; default nowhere. */
  log?: Pick<Log, 'warn'>;
  /** How long a node has to exit after SIGTERM before SIGKILL. Default 5 s: a node drains its workspaces' proxies first. */
  stopGraceMs?: number;
  clock?: Clock;
}

interface Running {
  node: ProvisionedNode;
  proc: ReturnType<typeof Bun.spawn>;
  dataDir: string;
}

/** Spawns and stops node processes on this host. */
export function createLocalProvider(options: LocalProviderOptions): Provider {
  const clock = options.clock ?? systemClock;
  const running = new Map<string, Running>();
  const grace = options.stopGraceMs ?? 5_000;

  return {
    kind: 'local',
    async create(request, onProgress: ProgressListener = () => {}) {
      const emit = (e: Omit<ProgressEvent, 'at'>) => onProgress({ ...e, at: clock.now() });
      if (running.has(request.nodeId)) {
        throw new ProviderError('provider_failed', `node ${request.nodeId} already runs on this host`);
      }
      emit({ step: 'machine', state: 'started', detail: 'spawning the node process' });
      const dataDir = join(options.baseDir, request.nodeId);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const cmd = options.command({ ...request, dataDir });
      let proc: ReturnType<typeof Bun.spawn>;
      try {
        proc = spawn(cmd, dataDir);
      } catch (error) {
        emit({ step: 'machine', state: 'failed', detail: (error as Error).message });
        rmSync(dataDir, { recursive: true, force: true });
        throw new ProviderError(
          'provider_failed',
          `could not start ${cmd.argv[0]}: ${(error as Error).message}`,
        );
      }
      const node: ProvisionedNode = {
        nodeId: request.nodeId,
        provider: 'local',
        providerRef: String(proc.pid),
      };
      running.set(request.nodeId, { node, proc, dataDir });
      emit({ step: 'machine', state: 'done', detail: `pid ${proc.pid}` });

      emit({ step: 'node_started', state: 'started' });
      const ready =
        options.waitReady?.({ nodeId: request.nodeId, pid: proc.pid, dataDir }) ?? Promise.resolve();
      const exited = proc.exited.then((code) => {
        throw new ProviderError(
          'provider_failed',
          `node ${request.nodeId} exited with code ${code} before it was ready (see ${join(dataDir, 'node.log')})`,
        );
      });
      try {
        await Promise.race([ready, exited]);
      } catch (error) {
        emit({ step: 'node_started', state: 'failed', detail: (error as Error).message });
        running.delete(request.nodeId);
        proc.kill('SIGKILL');
        throw error;
      } finally {
        exited.catch(() => {});
      }
      emit({ step: 'node_started', state: 'done' });
      return node;
    },

    async destroy(nodeId, onProgress: ProgressListener = () => {}) {
      const r = running.get(nodeId);
      if (r) await stop(r);
      // Also a node that is not running (stopped with an earlier run): its data dir goes.
      rmSync(r?.dataDir ?? join(options.baseDir, nodeId), { recursive: true, force: true });
      onProgress({
        step: 'machine_destroyed',
        state: 'done',
        detail: r ? `pid ${r.node.providerRef} stopped` : 'not running',
        at: clock.now(),
      });
    },

    async list() {
      return [...running.values()].filter((r) => r.proc.exitCode === null).map((r) => r.node);
    },

    async resume() {
      if (!existsSync(options.baseDir)) return [];
      const nodeIds = readdirSync(options.baseDir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !running.has(e.name))
        .map((e) => e.name)
        .filter((nodeId) => !options.resumable || options.resumable(join(options.baseDir, nodeId)));
      const started = await Promise.all(
        nodeIds.map(async (nodeId): Promise<ProvisionedNode | undefined> => {
          const dataDir = join(options.baseDir, nodeId);
          // One process per node identity: a second one would run every workspace twice and be advertised
          // in the mesh beside the first. The holder is a node started by hand, or one still stopping.
          const holder = await heldAfterWaiting(dataDir);
          if (holder !== undefined) {
            options.log?.warn('not starting a node whose data dir another process holds', {
              node: nodeId,
              pid: holder,
            });
            return undefined;
          }
          if (running.has(nodeId)) return undefined;
          // No join token: the node joined before and resumes from its data dir.
          const proc = spawn(options.command({ nodeId, controlUrl: '', joinToken: '', dataDir }), dataDir);
          const node: ProvisionedNode = { nodeId, provider: 'local', providerRef: String(proc.pid) };
          running.set(nodeId, { node, proc, dataDir });
          return node;
        }),
      );
      return started.filter((n) => n !== undefined);
    },

    async shutdown() {
      await Promise.all([...running.values()].map(stop));
    },
  };

  /** The holder of a node's data dir once it had `heldWaitMs` to let go; undefined when it is free. */
  async function heldAfterWaiting(dataDir: string): Promise<number | undefined> {
    if (!options.holder) return undefined;
    // Real time, not the injected clock: this waits on a real process.
    const deadline = Date.now() + (options.heldWaitMs ?? 10_000);
    for (;;) {
      const pid = options.holder(dataDir);
      if (pid === undefined || Date.now() > deadline) return pid;
      await Bun.sleep(100);
    }
  }

  /**
   * Starts a node process with a pipe on its stdin that this process keeps open and never writes, and tells
   * the node to stop when the pipe ends (WARREN_EXIT_WITH_PARENT): the kernel closes this end however this
   * process ends, `kill -9` included, so no node outlives the `warren up` that started it. (The pipe lives as
   * long as `running` keeps the process handle.)
   */
  function spawn(cmd: LocalNodeCommand, dataDir: string): ReturnType<typeof Bun.spawn> {
    const log = openSync(join(dataDir, 'node.log'), 'a', 0o600);
    return Bun.spawn(cmd.argv, {
      cwd: dataDir,
      env: { ...nodeEnvironment(process.env), ...cmd.env, WARREN_EXIT_WITH_PARENT: '1' },
      stdin: 'pipe',
      stdout: log,
      stderr: log,
    });
  }

  /** SIGTERM, then SIGKILL after the grace time; the data dir stays. */
  async function stop(r: Running): Promise<void> {
    r.proc.kill('SIGTERM');
    const killer = setTimeout(() => r.proc.kill('SIGKILL'), grace);
    await r.proc.exited;
    clearTimeout(killer);
    running.delete(r.node.nodeId);
  }
}

/**
 * The environment a local node inherits: this process's, minus every WARREN_* variable. The control plane's
 * settings include its long-lived secrets (master key, Tailscale and Hetzner credentials); a node gets none of
 * them, only what its command sets.
 */
export function nodeEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith('WARREN_')) out[k] = v;
  return out;
}
