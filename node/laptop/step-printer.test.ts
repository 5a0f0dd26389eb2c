// Tests of the join step printer: numbered lines, in order, each step ended once.
import { describe, expect, it } from 'bun:test';
import { createStepPrinter, LAPTOP_JOIN_STEPS } from './index.ts';

describe('StepPrinter', () => {
  it('prints each step as it starts and ends, numbered', () => {
    const lines: string[] = [];
    const p = createStepPrinter((l) => lines.push(l), LAPTOP_JOIN_STEPS.length);
    p.step(LAPTOP_JOIN_STEPS[0]).done('100.64.0.7, laptop.tail4a2b.ts.net');
    p.step(LAPTOP_JOIN_STEPS[1]).done();
    const join = p.step(LAPTOP_JOIN_STEPS[2]);
    join.fail('the join token has expired', 'create a new one with `warren node token --laptop`');
    p.step(LAPTOP_JOIN_STEPS[4]).skip('not asked for');
    expect(lines).toEqual([
      '[1/5] Check tailscale …',
      '[1/5] Check tailscale: ok (100.64.0.7, laptop.tail4a2b.ts.net)',
      '[2/5] Create the node key …',
      '[2/5] Create the node key: ok',
      '[3/5] Join the control plane …',
      '[3/5] Join the control plane: failed: the join token has expired\n    → create a new one with `warren node token --laptop`',
      '[4/5] Run at login …',
      '[4/5] Run at login: skipped (not asked for)',
    ]);
  });

  it('refuses to end a step twice', () => {
    const s = createStepPrinter(() => {}, 1).step('x');
    s.done();
    expect(() => s.done()).toThrow('already ended');
  });
});
