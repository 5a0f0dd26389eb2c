// HeartbeatLoop: jittered intervals, exponential backoff with jitter on failure, pokes coalesce, stop waits for the beat in flight.
import { describe, expect, it } from 'bun:test';
import { HeartbeatLoop } from './heartbeat.ts';
import { eventually } from './testing/index.ts';

describe('HeartbeatLoop', () => {
  it('backs off exponentially with jitter while the control plane is unreachable, then recovers', async () => {
    const retries: number[] = [];
    let fail = true;
    let beats = 0;
    const loop = new HeartbeatLoop(
      async () => {
        beats++;
        if (fail) throw new Error('unreachable');
        return 60_000;
      },
      { backoffBaseMs: 8, backoffMaxMs: 64, jitter: 0.2 },
      (_e, ms) => retries.push(ms),
    );
    loop.start();
    await eventually(() => retries.length >= 6, 'six failed beats');
    loop.poke(); // must not defeat the backoff
    fail = false;
    await eventually(() => loop.ok === 1, 'recovery');
    loop.stop();
    // Each delay lies in [d/2, d] where d doubles from the base up to the max.
    const bounds = [8, 16, 32, 64, 64, 64];
    bounds.forEach((d, i) => {
      expect(retries[i]!).toBeGreaterThanOrEqual(Math.floor(d / 2));
      expect(retries[i]!).toBeLessThanOrEqual(d);
    });
    expect(new Set(retries.slice(3, 6)).size).toBeGreaterThan(1); // jittered, not lockstep
    expect(beats).toBe(loop.ok + loop.failed);
  });

  it('coalesces a burst of pokes into few beats', async () => {
    let beats = 0;
    const loop = new HeartbeatLoop(
      async () => {
        beats++;
        return 60_000;
      },
      { backoffBaseMs: 10, backoffMaxMs: 100, jitter: 0.2 },
    );
    loop.start();
    await eventually(() => beats === 1, 'first beat');
    for (let i = 0; i < 50; i++) loop.poke();
    await eventually(() => loop.ok >= 2, 'the poked beat');
    loop.stop();
    expect(beats).toBeLessThanOrEqual(3);
  });

  it('stops beating at once and resolves stop only after the beat in flight is answered', async () => {
    let answer: (ms: number) => void = () => {};
    let beats = 0;
    const loop = new HeartbeatLoop(
      () => {
        beats++;
        return new Promise<number>((resolve) => {
          answer = resolve;
        });
      },
      { backoffBaseMs: 10, backoffMaxMs: 100, jitter: 0.2 },
    );
    loop.start();
    await eventually(() => beats === 1, 'a beat in flight');
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    answer(10);
    await stopping;
    expect(loop.ok).toBe(1);
    // With nothing in flight, stop resolves at once.
    await loop.stop();
    expect(beats).toBe(1);
  });
});
