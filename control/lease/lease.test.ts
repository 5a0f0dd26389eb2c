// The duties lease: one holder at a time, taken over after expiry with a new term, and fenced writes of old terms.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type Database, openDatabase } from '../db/index.ts';
import { createLog } from '../log.ts';
import { DATABASE_BACKENDS, FakeClock } from '../testing/index.ts';
import { type Duty, type Fence, startDutyRunner } from './duty-runner.ts';
import { createLeaseStore, type LeaseStore, stillHolds } from './lease-store.ts';

const TTL = 3_000;
const quiet = createLog({ quiet: true });

for (const backend of DATABASE_BACKENDS) {
  describe(`Lease on ${backend.name}`, () => {
    let server: { url: string; stop(): Promise<void> };
    let database: Database;
    let leases: LeaseStore;
    let n = 0;
    /** A lease name of its own per test: the tests share one database. */
    const fresh = () => `lease-${++n}`;

    beforeAll(async () => {
      server = await backend.start();
      database = await openDatabase(server.url);
      leases = createLeaseStore(database.client);
    }, 30_000);
    afterAll(async () => {
      database.close();
      await server.stop();
    });

    it('gives a free lease to the first holder, and refuses another until it expires', async () => {
      const name = fresh();
      const a = await leases.acquire(name, 'a', TTL, 1_000, '{}');
      expect(a).toMatchObject({ holder: 'a', term: 1, expiresAt: 1_000 + TTL });
      expect(await leases.acquire(name, 'b', TTL, 1_000 + TTL - 1, '{}')).toBeUndefined();
      const b = await leases.acquire(name, 'b', TTL, 1_000 + TTL, '{}');
      expect(b).toMatchObject({ holder: 'b', term: 2 });
    });

    it('renews only the term still held, and a taken-over term never renews again', async () => {
      const name = fresh();
      const a = await leases.acquire(name, 'a', TTL, 0, '{"seeds":1}');
      if (!a) throw new Error('not acquired');
      expect(await leases.renew(a, TTL, TTL - 1, '{}')).toMatchObject({ term: 1, expiresAt: 2 * TTL - 1 });
      // Past its expiry nobody renewed it: b takes it, and a's late renew finds a newer term.
      const b = await leases.acquire(name, 'b', TTL, 3 * TTL, '{}');
      expect(b?.term).toBe(2);
      expect(await leases.renew(a, TTL, 3 * TTL, '{}')).toBeUndefined();
      expect((await leases.current(name))?.holder).toBe('b');
    });

    it('lets a restarted replica (same holder id) take its lease back at once, in a new term', async () => {
      const name = fresh();
      await leases.acquire(name, 'a', TTL, 0, '{}');
      const again = await leases.acquire(name, 'a', TTL, 1, '{}');
      expect(again?.term).toBe(2);
    });

    it('hands over at once when the holder releases it', async () => {
      const name = fresh();
      const a = await leases.acquire(name, 'a', TTL, 0, '{}');
      if (!a) throw new Error('not acquired');
      await leases.release(a);
      expect((await leases.acquire(name, 'b', TTL, 1, '{}'))?.holder).toBe('b');
    });

    it('gives an expired lease to exactly one of many racing replicas', async () => {
      const name = fresh();
      await leases.acquire(name, 'old', TTL, 0, '{}');
      const got = await Promise.all(
        Array.from({ length: 8 }, (_, i) => leases.acquire(name, `r${i}`, TTL, TTL, '{}')),
      );
      expect(got.filter(Boolean)).toHaveLength(1);
      expect((await leases.current(name))?.term).toBe(2);
    });

    it('fences writes: a condition of the old term is false once another holds the lease', async () => {
      const name = fresh();
      const a = await leases.acquire(name, 'a', TTL, 0, '{}');
      const b = await leases.acquire(name, 'b', TTL, TTL, '{}');
      if (!a || !b) throw new Error('not acquired');
      await database.client.execute('CREATE TABLE IF NOT EXISTS fenced (n INTEGER)');
      const write = async (cond: { sql: string; args: (string | number)[] }) =>
        (
          await database.client.execute({
            sql: `INSERT INTO fenced SELECT 1 WHERE ${cond.sql}`,
            args: cond.args,
          })
        ).rowsAffected;
      expect(await write(stillHolds(a, TTL + 1))).toBe(0);
      expect(await write(stillHolds(b, TTL + 1))).toBe(1);
      // Even the holder's own term stops passing once it expired unrenewed.
      expect(await write(stillHolds(b, 2 * TTL))).toBe(0);
    });

    it('runs the duties on one replica, and on the other once the holder stops renewing', async () => {
      const name = fresh();
      const clock = new FakeClock(Date.UTC(2030, 0, 1));
      const running = new Map<string, Fence>();
      const duty = (replica: string): Duty => ({
        name: 'count',
        start: (f) => void running.set(replica, f),
        stop: () => void running.delete(replica),
      });
      const config = { ttlMs: TTL, renewEveryMs: TTL / 3 };
      const common = { store: leases, name, clock, log: quiet, config, manual: true };
      const a = await startDutyRunner({
        ...common,
        holder: 'a',
        duties: [duty('a')],
        info: () => '{"from":"a"}',
      });
      const b = await startDutyRunner({ ...common, holder: 'b', duties: [duty('b')] });
      expect([...running.keys()]).toEqual(['a']);
      expect(b.fence()).toBeUndefined();
      // a renews while b keeps trying: nothing changes hands.
      clock.advance(TTL / 2);
      await a.step();
      await b.step();
      expect([...running.keys()]).toEqual(['a']);
      expect(b.holderInfo()).toBe('{"from":"a"}');
      // a stops renewing (killed, paused); past its expiry b takes over with a new term.
      const old = running.get('a') as Fence;
      clock.advance(TTL);
      expect(old.holds()).toBe(false);
      await b.step();
      expect(running.get('b')?.term.term).toBe(old.term.term + 1);
      expect(running.get('b')?.previousInfo).toBe('{"from":"a"}');
      // a wakes up: its renew fails and its duties stop; only b runs them.
      await a.step();
      expect([...running.keys()]).toEqual(['b']);
      await b.stop();
      // Released: a takes over at its next attempt without waiting for b's expiry.
      expect(running.size).toBe(0);
      await a.step();
      expect([...running.keys()]).toEqual(['a']);
      await a.stop();
    });

    it('keeps the duties through a failed renew until its term would have expired', async () => {
      const name = fresh();
      const clock = new FakeClock(Date.UTC(2030, 0, 1));
      let started = 0;
      let stopped = 0;
      let failing = false;
      const flaky: LeaseStore = {
        ...leases,
        renew: (...args) => (failing ? Promise.reject(new Error('database away')) : leases.renew(...args)),
      };
      const runner = await startDutyRunner({
        store: flaky,
        name,
        holder: 'a',
        clock,
        log: quiet,
        config: { ttlMs: TTL, renewEveryMs: TTL / 3 },
        manual: true,
        duties: [{ name: 'd', start: () => void started++, stop: () => void stopped++ }],
      });
      failing = true;
      clock.advance(TTL / 3);
      await runner.step();
      expect([started, stopped]).toEqual([1, 0]);
      clock.advance(TTL);
      await runner.step();
      expect([started, stopped]).toEqual([1, 1]);
      expect(runner.fence()).toBeUndefined();
      await runner.stop();
    });
  });
}
