// Runs the control plane: binds the port, wires the deps, bootstraps the admin, schedules key rotation.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockDataDir } from '../disk/index.ts';
import { createControlApp } from './app.ts';
import { bootstrapAdmin, type FirstStart } from './bootstrap.ts';
import type { Clock } from './clock.ts';
import type { ControlConfig } from './config.ts';
import { CONTROL_FILE, secureControlDataDir } from './data-dir.ts';
import { type ControlDeps, type DepsOptions, openControlDeps } from './deps.ts';
import { notePeerAddress } from './hardening/index.ts';
import { createLog, type Log } from './log.ts';

export interface RunningControl {
  url: string;
  deps: ControlDeps;
  /** Present only on the very first start. */
  firstStart?: FirstStart;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  log?: Log;
  /** How often the key ring checks its schedule: 1 h; rotation itself is rare (ControlConfig.keyRing). */
  keyTickMs?: number;
  /** Tests: a provider or Tailscale API other than the configured ones. */
  provider?: DepsOptions['provider'];
  tailscale?: DepsOptions['tailscale'];
  peerState?: DepsOptions['peerState'];
}

/**
 * Starts the control plane on `config.host:config.port` (0 = a free port). The data dir is locked first and
 * until `stop()`: a second control plane (or `warren up`) on it throws DataDirLockedError naming the holder's
 * pid, before it could start the local nodes a second time or rewrite `control.json`.
 */
export async function startControl(
  config: ControlConfig,
  options: StartOptions = {},
): Promise<RunningControl> {
  const log = options.log ?? createLog();
  // Before anything reads or writes a secret there: a dir or key others can read is fixed, and said so.
  secureControlDataDir(config, log);
  const lock = lockDataDir(config.dataDir);
  try {
    const running = await startLockedControl(config, options, log);
    const stop = running.stop;
    return {
      ...running,
      async stop() {
        try {
          await stop();
        } finally {
          lock.release();
        }
      },
    };
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function startLockedControl(
  config: ControlConfig,
  options: StartOptions,
  log: Log,
): Promise<RunningControl> {
  let handle: (req: Request) => Response | Promise<Response> = () =>
    new Response('starting', { status: 503 });
  const server = Bun.serve({
    hostname: config.host,
    port: config.port,
    fetch: (req, srv) => {
      // The socket peer keys the rate limits (control/hardening); Elysia never sees this server.
      notePeerAddress(req, srv.requestIP(req)?.address);
      return handle(req);
    },
  });
  try {
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`;
    const deps = await openControlDeps(config, { publicUrl: url, port: config.port, ...options, log });
    // Peers' view of a node changes its status at once, not at the next sweep: losing it, and reaching it again.
    deps.mesh?.onMemberChange((m, previous) => {
      if (m.state === 'alive' && (previous === undefined || previous === 'alive')) return;
      deps.liveness
        .sweep()
        .catch((e) => deps.log.error('liveness sweep failed', { message: (e as Error).message }));
    });
    const app = createControlApp(deps);
    handle = (req) => app.handle(req);
    const firstStart = await bootstrapAdmin(deps);
    writeFileSync(join(config.dataDir, CONTROL_FILE), `${JSON.stringify({ url, pid: process.pid })}\n`, {
      mode: 0o600,
    });
    const timer = setInterval(() => {
      deps.ring.tick().catch((e) => deps.log.error('key rotation failed', { message: (e as Error).message }));
      // A revocation older than the longest token life voids nothing any more.
      const horizon = deps.clock.now() - config.keyRing.maxTokenLifetimeMs - 3_600_000;
      deps.store.revocations
        .prune(horizon)
        .catch((e) => deps.log.error('revocation pruning failed', { message: (e as Error).message }));
      deps.activity
        .prune()
        .catch((e) => deps.log.error('activity pruning failed', { message: (e as Error).message }));
      deps.store.github.signInStates
        .prune(deps.clock.now())
        .catch((e) => deps.log.error('sign-in state pruning failed', { message: (e as Error).message }));
    }, options.keyTickMs ?? 3_600_000);
    timer.unref();
    const sweep = setInterval(() => {
      deps.liveness
        .sweep()
        .catch((e) => deps.log.error('liveness sweep failed', { message: (e as Error).message }));
    }, config.heartbeatIntervalMs);
    sweep.unref();
    const taskSweep = startTaskSweep(deps, config.taskSweepMs);
    // Warm pools: refilled and reaped on a timer (claims also trigger a refill).
    const warm = config.infra.warmPool;
    const maintain = warm ? setInterval(() => void deps.fleet.maintain(), warm.maintainEveryMs) : undefined;
    maintain?.unref();
    // Local node machines of an earlier run come back with the control plane, then pools are filled.
    void deps.fleet.start();
    return {
      url,
      deps,
      ...(firstStart ? { firstStart } : {}),
      async stop() {
        clearInterval(timer);
        clearInterval(sweep);
        taskSweep.stop();
        clearInterval(maintain);
        // Before the server stops: a node still joining needs it to finish (then it is stopped too).
        await deps.fleet.stop();
        await server.stop(true);
        await deps.mesh?.close();
        deps.database.close();
      },
    };
  } catch (e) {
    await server.stop(true);
    throw e;
  }
}

/**
 * Re-dispatches queued tasks every `everyMs` ±20 % (jitter, so control planes sharing a database do not sweep
 * in lockstep), one sweep at a time.
 */
function startTaskSweep(deps: ControlDeps, everyMs: number): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(
      async () => {
        try {
          await deps.taskDispatcher.sweep();
        } catch (e) {
          deps.log.error('task sweep failed', { message: (e as Error).message });
        }
        next();
      },
      everyMs * (0.8 + 0.4 * Math.random()),
    );
    timer.unref();
  };
  next();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
