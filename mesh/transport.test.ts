// One contract suite for every Transport: the in-memory network and the UDP/TCP adapter on 127.0.0.1.
import { describe, expect, it } from 'bun:test';
import { FakeClock } from './testing/fake-clock.ts';
import { MemoryNetwork } from './testing/memory-network.ts';
import { createUdpTransport } from './transport/udp.ts';
import type { Transport } from './transport.ts';

interface Harness {
  make(): Promise<Transport>;
  /** Lets time pass until `p` settles or the deadline expires. */
  settle<T>(p: Promise<T>): Promise<T>;
  /** Lets time pass until `predicate` holds or the deadline expires. */
  until(predicate: () => boolean): Promise<boolean>;
  /** An address nobody listens on. */
  nowhere(): Promise<string>;
}

function memoryHarness(): Harness {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock, delayMs: [1, 5] });
  return {
    make: async () => network.transport(),
    async settle(p) {
      let outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
      p.then(
        (value) => {
          outcome = { ok: true, value };
        },
        (error: unknown) => {
          outcome = { ok: false, error };
        },
      );
      await clock.until(() => outcome !== undefined, 60_000);
      if (!outcome) throw new Error('did not settle');
      if (!outcome.ok) throw outcome.error;
      return outcome.value as Awaited<typeof p>;
    },
    until: (predicate) => clock.until(predicate, 10_000),
    nowhere: async () => 'mem-nobody',
  };
}

function udpHarness(): Harness {
  const deadline = async (predicate: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > end) return false;
      await Bun.sleep(2);
    }
    return true;
  };
  return {
    make: () => createUdpTransport({ hostname: '127.0.0.1', port: 0 }),
    settle: (p) => p,
    until: (predicate) => deadline(predicate, 5000),
    async nowhere() {
      const t = await createUdpTransport({ hostname: '127.0.0.1', port: 0 });
      const a = t.address;
      await t.close();
      return a;
    },
  };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

for (const [name, harness] of [
  ['MemoryNetwork', memoryHarness],
  ['UDP transport', udpHarness],
] as const) {
  describe(`Transport contract: ${name}`, () => {
    it('delivers a packet and names the sender by its address', async () => {
      const h = harness();
      const a = await h.make();
      const b = await h.make();
      const got: [string, string][] = [];
      b.onPacket((from, payload) => got.push([from, text(payload)]));
      a.send(b.address, bytes('hello'));
      expect(await h.until(() => got.length === 1)).toBe(true);
      expect(got[0]).toEqual([a.address, 'hello']);
      await a.close();
      await b.close();
    });

    it('answers a request, including a response far larger than a datagram', async () => {
      const h = harness();
      const a = await h.make();
      const b = await h.make();
      const big = 'x'.repeat(1_000_000);
      b.onRequest((_from, payload) => bytes(`${text(payload)}:${big}`));
      const response = await h.settle(a.request(b.address, bytes('q'), 5000));
      expect(text(response).length).toBe(2 + big.length);
      expect(text(response).startsWith('q:x')).toBe(true);
      await a.close();
      await b.close();
    });

    it('rejects a request to an address nobody listens on', async () => {
      const h = harness();
      const a = await h.make();
      const nowhere = await h.nowhere();
      await expect(h.settle(a.request(nowhere, bytes('q'), 300))).rejects.toThrow();
      await a.close();
    });

    it('rejects a request whose handler fails', async () => {
      const h = harness();
      const a = await h.make();
      const b = await h.make();
      b.onRequest(() => {
        throw new Error('boom');
      });
      await expect(h.settle(a.request(b.address, bytes('q'), 1000))).rejects.toThrow();
      await a.close();
      await b.close();
    });

    it('stops delivering once closed', async () => {
      const h = harness();
      const a = await h.make();
      const b = await h.make();
      const c = await h.make();
      const got: string[] = [];
      b.onPacket((_f, p) => got.push(text(p)));
      c.onPacket((_f, p) => got.push(`c:${text(p)}`));
      await b.close();
      a.send(b.address, bytes('lost'));
      a.send(c.address, bytes('marker'));
      expect(await h.until(() => got.includes('c:marker'))).toBe(true);
      expect(got).toEqual(['c:marker']);
      await a.close();
      await c.close();
    });
  });
}

describe('MemoryNetwork', () => {
  it('drops packets across a partition and delivers again after heal', async () => {
    const clock = new FakeClock();
    const network = new MemoryNetwork({ clock });
    const a = network.transport('a');
    const b = network.transport('b');
    const got: string[] = [];
    b.onPacket((_f, p) => got.push(text(p)));
    network.partition(['a'], ['b']);
    a.send('b', bytes('1'));
    await clock.run(100);
    expect(got).toEqual([]);
    network.heal();
    a.send('b', bytes('2'));
    await clock.run(100);
    expect(got).toEqual(['2']);
  });

  it('loses about the configured share of packets', async () => {
    const clock = new FakeClock();
    const { createSeededRandom } = await import('./random.ts');
    const network = new MemoryNetwork({ clock, loss: 0.1, random: createSeededRandom(7) });
    const a = network.transport('a');
    const b = network.transport('b');
    let n = 0;
    b.onPacket(() => n++);
    for (let i = 0; i < 10_000; i++) a.send('b', bytes('x'));
    await clock.run(100);
    expect(n).toBeGreaterThan(8800);
    expect(n).toBeLessThan(9200);
  });
});
