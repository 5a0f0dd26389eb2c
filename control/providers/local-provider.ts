// The `local` provider: node processes on this host (`warren up --nodes N`, tests), each with its own data dir.
import { mkdirSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, systemClock } from '../clock.ts';
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
      const log = openSync(join(dataDir, 'node.log'), 'a', 0o600);
      let proc: ReturnType<typeof Bun.spawn>;
      try {
        proc = Bun.spawn(cmd.argv, {
          cwd: dataDir,
          env: { ...process.env, ...cmd.env },
          stdin: 'ignore',
          stdout: log,
          stderr: log,
        });
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
      if (r) {
        r.proc.kill('SIGTERM');
        const killer = setTimeout(() => r.proc.kill('SIGKILL'), grace);
        await r.proc.exited;
        clearTimeout(killer);
        running.delete(nodeId);
        rmSync(r.dataDir, { recursive: true, force: true });
      }
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
  };
}
