// Suspicion timeouts: start long, shorten with independent confirmations, never below the minimum.
import { describe, expect, it } from 'bun:test';
import { Suspicion } from './suspicion.ts';

describe('Suspicion', () => {
  it('starts at the maximum timeout and shortens with independent confirmations down to the minimum', () => {
    const s = new Suspicion(3, 1000, 2, 400, 2400, 'a');
    expect(s.deadline).toBe(1000 + 2400);
    expect(s.confirm('a')).toBe(false);
    expect(s.confirm('b')).toBe(true);
    const afterOne = s.deadline;
    expect(afterOne).toBeLessThan(1000 + 2400);
    expect(afterOne).toBeGreaterThan(1000 + 400);
    expect(s.confirm('c')).toBe(true);
    expect(s.deadline).toBe(1000 + 400);
    expect(s.confirm('d')).toBe(false);
    expect(s.deadline).toBe(1000 + 400);
  });
});
