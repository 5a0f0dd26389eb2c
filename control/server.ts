// Runs the control plane: binds the port, wires the deps, bootstraps the admin, runs the duties while it holds their lease.
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errorResponse } from '../contract/index.ts';
import { lockDataDir } from '../disk/index.ts';
import { createControlApp } from './app.ts';
import { bootstrapAdmin, type FirstStart } from './bootstrap.ts';
import type { Clock } from './clock.ts';
import type { ControlConfig } from './config.ts';
import { CONTROL_FILE, secureControlDataDir } from './data-dir.ts';
import { type ControlDeps, type DepsOptions, openControlDeps, startMeshMember } from './deps.ts';
import { notePeerAddress } from './hardening/index.ts';
import { createLeaseStore, type Duty, intervalDuty, startDutyRunner } from './lease/index.ts';
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
    errorResponse('unavailable', 'the control plane is starting');
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
    const app = createControlApp(deps);
    handle = (req) => app.handle(req);
    const firstStart = await bootstrapAdmin(deps);
    writeFileSync(join(config.dataDir, CONTROL_FILE), `${JSON.stringify({ url, pid: process.pid })}\n`, {
      mode: 0o600,
    });
    // Every replica: keys another one rotated are published here too, and its sign-outs take effect here.
    const refresh = every(config.keyRefreshMs, 'key refresh', () => deps.ring.refresh(), deps.log);
    const follow = every(
      config.credentialFollowMs,
      'credential follow',
      deps.store.followCredentialEpoch,
      deps.log,
    );
    // What must run once among replicas runs on the lease holder (a lone control plane holds it at once).
    const duties = await startDutyRunner({
      store: createLeaseStore(deps.database.client),
      name: DUTIES_LEASE,
      holder: `${hostname()}:${config.dataDir}`,
      clock: deps.clock,
      log: deps.log,
      config: config.lease,
      duties: controlDuties(deps, options),
      info: () => JSON.stringify({ meshSeeds: deps.mesh?.seeds() ?? [] }),
    });
    deps.dutiesHeld = () => duties.fence() !== undefined;
    deps.standbyMeshSeeds = () => holderSeeds(duties.holderInfo());
    // Local node machines of an earlier run come back with the control plane, then pools are filled.
    void deps.fleet.start();
    return {
      url,
      deps,
      ...(firstStart ? { firstStart } : {}),
      async stop() {
        clearInterval(refresh);
        clearInterval(follow);
        // Released, so another replica takes the duties over at once.
        await duties.stop();
        // Before the server stops: a node still joining needs it to finish (then it is stopped too).
        await deps.fleet.stop();
        await server.stop(true);
        deps.database.close();
      },
    };
  } catch (e) {
    await server.stop(true);
    throw e;
  }
}

/** Runs `run` every `everyMs` (not keeping the process alive), logging its failures as `what failed`. */
function every(everyMs: number, what: string, run: () => Promise<unknown>, log: Log) {
  const timer = setInterval(() => {
    run().catch((e) => log.error(`${what} failed`, { message: (e as Error).message }));
  }, everyMs);
  timer.unref();
  return timer;
}

/** The lease whose holder runs the duties below. */
const DUTIES_LEASE = 'control-duties';

/** The mesh seeds the holder published in its lease row, for nodes that join through a standby. */
function holderSeeds(info: string | undefined): string[] | undefined {
  if (!info) return undefined;
  try {
    const seeds = (JSON.parse(info) as { meshSeeds?: unknown }).meshSeeds;
    return Array.isArray(seeds) ? seeds.filter((s): s is string => typeof s === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The work that must run on one replica at a time: the control plane's mesh member (one origin `control`),
 * key rotation and pruning, the liveness sweep, task dispatch sweeps and warm-pool upkeep.
 */
function controlDuties(deps: ControlDeps, options: StartOptions): Duty[] {
  const { config, log } = deps;
  // Often enough for a rotation interval shortened for a drill, hourly at most.
  const keyTickMs =
    options.keyTickMs ?? Math.min(3_600_000, Math.max(100, config.keyRing.rotationIntervalMs / 4));
  const sweepLiveness = () =>
    deps.liveness.sweep().catch((e) => log.error('liveness sweep failed', { message: (e as Error).message }));
  let taskSweep: { stop(): void } | undefined;
  const duties: Duty[] = [
    {
      name: 'mesh member',
      async start(fence) {
        // The nodes the previous holder's member last saw: joining them brings this member into the mesh.
        const member = await startMeshMember(deps, holderSeeds(fence.previousInfo) ?? []);
        // Peers' view of a node changes its status at once, not at the next sweep: losing it, and reaching it again.
        member?.onMemberChange((m, previous) => {
          if (m.state === 'alive' && (previous === undefined || previous === 'alive')) return;
          void sweepLiveness();
        });
      },
      async stop() {
        const member = deps.mesh;
        deps.mesh = undefined;
        await member?.close();
      },
    },
    intervalDuty(
      'housekeeping',
      keyTickMs,
      async (fence) => {
        // The rotation is written only while this term still holds the lease.
        await deps.ring.tick(fence.condition());
        const now = deps.clock.now();
        // A revocation older than the longest token life voids nothing any more.
        await deps.store.revocations.prune(now - config.keyRing.maxTokenLifetimeMs - 3_600_000);
        await deps.activity.prune();
        await deps.store.github.signInStates.prune(now);
        await deps.proofUses.prune(now);
      },
      log,
    ),
    intervalDuty('liveness sweep', config.heartbeatIntervalMs, sweepLiveness, log),
    {
      name: 'task sweep',
      start() {
        taskSweep = startTaskSweep(deps, config.taskSweepMs);
      },
      stop() {
        taskSweep?.stop();
      },
    },
  ];
  // Warm pools: refilled and reaped on a timer (claims also trigger a refill).
  const warm = config.infra.warmPool;
  if (warm)
    duties.push(intervalDuty('warm pool upkeep', warm.maintainEveryMs, () => deps.fleet.maintain(), log));
  return duties;
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
          await deps.taskWorkspaces.sweep();
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
