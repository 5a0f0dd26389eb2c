// The simulator: deterministic from its seed, and its measurements describe real convergence and detection.
import { describe, expect, it } from 'bun:test';
import { simulate } from './simulation.ts';

describe('Simulator', () => {
  it('replays exactly from its seed', async () => {
    const run = () => simulate({ members: 40, seed: 5, warmupMs: 2000, timeoutMs: 30_000 });
    const { wallMs: _a, ...first } = await run();
    const { wallMs: _b, ...second } = await run();
    expect(second).toEqual(first);
  });

  it('reaches every member with a change, detects a killed member everywhere, and has no false death at 10 % loss', async () => {
    const r = await simulate({
      members: 60,
      seed: 9,
      warmupMs: 2000,
      falsePositiveMs: 120_000,
      falsePositiveLoss: 0.1,
    });
    expect(r.convergence.p100Ms).not.toBeNull();
    expect(r.convergence.p99Ms as number).toBeLessThanOrEqual(r.convergence.p100Ms as number);
    expect(r.detection.p99Ms).not.toBeNull();
    expect(r.detection.allDeadMs).not.toBeNull();
    expect(r.bytesPerMemberPerSec).toBeGreaterThan(0);
    expect(r.falsePositives?.deaths).toBe(0);
  });
});
