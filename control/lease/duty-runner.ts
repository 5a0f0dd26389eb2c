// Runs the duties that must run once across replicas while this process holds their lease; hands them over on loss.
import type { Clock } from '../clock.ts';
import type { Log } from '../log.ts';
import { type LeaseStore, type LeaseTerm, stillHolds } from './lease-store.ts';

export interface LeaseConfig {
  /**
   * 10 s: how long a holder that stopped renewing (killed, partitioned from the database) keeps the lease, so a
   * standby takes over within ttl + one renew interval. Longer than a database hiccup, short enough that key
   * rotation, sweeps and warm pools pause only seconds.
   */
  ttlMs: number;
  /** ttl / 3: a holder renews three times per life, so two failed renews in a row do not lose it. */
  renewEveryMs: number;
}

export function defaultLeaseConfig(): LeaseConfig {
  return { ttlMs: 10_000, renewEveryMs: 3_333 };
}

/** The proof a duty writes with: the term it holds, checkable in SQL at write time. */
export interface Fence {
  readonly term: LeaseTerm;
  /** What the previous holder last told the others (its `info`), read before this term began. */
  readonly previousInfo: string | undefined;
  /** True while the term is held as far as this process knows (its last renew is not past its expiry). */
  holds(): boolean;
  /** `EXISTS (…)` true only while the term is still the lease's current one, for a write's WHERE. */
  condition(): { sql: string; args: (string | number)[] };
}

/** Work that runs on the holder only: started when the lease is taken, stopped when it is lost or released. */
export interface Duty {
  name: string;
  start(fence: Fence): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface DutyRunner {
  /** The fence of the term held now; undefined on a standby. */
  fence(): Fence | undefined;
  /** What the holder last told the others (its `info`), as this process last read or wrote it. */
  holderInfo(): string | undefined;
  /** One renew (holder) or acquire (standby) attempt now; the timer calls it every `renewEveryMs`. */
  step(): Promise<void>;
  /** Stops the duties and releases the lease, so a standby takes over at once. */
  stop(): Promise<void>;
}

export interface DutyRunnerOptions {
  store: LeaseStore;
  /** The lease's name; one runner per name and process. */
  name: string;
  /** This replica's id: stable across restarts of the same data dir. */
  holder: string;
  clock: Clock;
  log: Log;
  config: LeaseConfig;
  duties: Duty[];
  /** JSON the holder writes into the row on every renew (e.g. its mesh seeds). */
  info?: () => string;
  /** Tests: no timer, `step()` is called by hand. */
  manual?: boolean;
}

/** Makes the first attempt before it resolves (a lone replica starts holding), then keeps trying on a timer. */
export async function startDutyRunner(o: DutyRunnerOptions): Promise<DutyRunner> {
  const info = o.info ?? (() => '{}');
  let held: LeaseTerm | undefined;
  /** Past this (local clock, from when the last successful renew was sent) the term is no longer trusted. */
  let deadline = 0;
  let lastInfo: string | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started: Duty[] = [];

  let previousInfo: string | undefined;
  const fence = (term: LeaseTerm): Fence => ({
    term,
    previousInfo,
    holds: () => held === term && o.clock.now() < deadline,
    condition: () => stillHolds(term, o.clock.now()),
  });

  const stopDuties = async (why: string) => {
    if (held && why !== 'stopping')
      o.log.warn('lease lost, duties stop', { lease: o.name, term: held.term, why });
    held = undefined;
    while (started.length > 0) {
      const d = started.pop() as Duty;
      try {
        await d.stop();
      } catch (e) {
        o.log.error('stopping a duty failed', { duty: d.name, message: (e as Error).message });
      }
    }
  };

  const startDuties = async (term: LeaseTerm) => {
    o.log.info('lease taken, duties start', { lease: o.name, term: term.term });
    const f = fence(term);
    for (const d of o.duties) {
      if (held !== term) return;
      try {
        await d.start(f);
        started.push(d);
      } catch (e) {
        o.log.error('starting a duty failed', { duty: d.name, message: (e as Error).message });
      }
    }
  };

  const attempt = async () => {
    const sentAt = o.clock.now();
    if (held) {
      try {
        const renewed = await o.store.renew(held, o.config.ttlMs, sentAt, info());
        if (!renewed) return stopDuties('taken over or expired');
        // Same term: duties keep the fence they have.
        held.expiresAt = renewed.expiresAt;
        deadline = sentAt + o.config.ttlMs;
      } catch (e) {
        // A database hiccup: keep the duties until the term would have expired anyway.
        if (o.clock.now() >= deadline) return stopDuties(`renew failed: ${(e as Error).message}`);
        o.log.warn('lease renew failed', { lease: o.name, message: (e as Error).message });
      }
      return;
    }
    try {
      // The first attempt reads what a holder before (maybe this replica's previous run) left.
      if (lastInfo === undefined) lastInfo = (await o.store.current(o.name))?.info ?? '{}';
      const got = await o.store.acquire(o.name, o.holder, o.config.ttlMs, sentAt, info());
      if (!got) {
        lastInfo = (await o.store.current(o.name))?.info ?? '{}';
        return;
      }
      previousInfo = lastInfo;
      held = got;
      deadline = sentAt + o.config.ttlMs;
      await startDuties(got);
    } catch (e) {
      o.log.warn('lease acquire failed', { lease: o.name, message: (e as Error).message });
    }
  };

  const step = () => {
    running ??= attempt().finally(() => {
      running = undefined;
    });
    return running;
  };

  const loop = () => {
    if (stopped || o.manual) return;
    timer = setTimeout(async () => {
      await step();
      loop();
    }, o.config.renewEveryMs);
    timer.unref?.();
  };

  await step();
  loop();

  return {
    fence: () => (held && o.clock.now() < deadline ? fence(held) : undefined),
    holderInfo: () => (held ? info() : lastInfo),
    step,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      const term = held;
      await stopDuties('stopping');
      if (term) await o.store.release(term).catch(() => {});
    },
  };
}

/**
 * A duty that calls `run` every `everyMs` while the lease is held (first call after one interval, or at once with
 * `immediately`), one call at a time, skipping calls once this process no longer trusts its term.
 */
export function intervalDuty(
  name: string,
  everyMs: number,
  run: (fence: Fence) => Promise<unknown>,
  log: Log,
  options: { immediately?: boolean } = {},
): Duty {
  let timer: ReturnType<typeof setInterval> | undefined;
  let busy = false;
  return {
    name,
    start(fence) {
      const once = async () => {
        if (busy || !fence.holds()) return;
        busy = true;
        try {
          await run(fence);
        } catch (e) {
          log.error(`${name} failed`, { message: (e as Error).message });
        } finally {
          busy = false;
        }
      };
      timer = setInterval(once, everyMs);
      timer.unref?.();
      if (options.immediately) void once();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
