// CircuitBreaker: opens after consecutive failures, answers at once while open, lets one trial through after the
// cool-down, closes on its success and re-opens for longer on its failure.
import { describe, expect, it } from 'bun:test';
import { CircuitBreaker } from './circuit-breaker.ts';

const config = { breakerFailures: 3, breakerCooldownMs: 1_000, breakerMaxCooldownMs: 3_000 };

function breaker() {
  let now = 0;
  const b = new CircuitBreaker(config, () => now);
  return { b, at: (t: number) => (now = t) };
}

describe('CircuitBreaker', () => {
  it('stays closed until the consecutive failures reach the threshold, then refuses with the time left', () => {
    const { b, at } = breaker();
    expect(b.failed('h', false)).toBe(false);
    expect(b.failed('h', false)).toBe(false);
    expect(b.admit('h')).toEqual({ ok: true, trial: false });
    expect(b.failed('h', false)).toBe(true);
    expect(b.state('h')).toBe('open');
    at(400);
    expect(b.admit('h')).toEqual({ ok: false, retryAfterMs: 600 });
    // Other hosts are not affected.
    expect(b.admit('other')).toEqual({ ok: true, trial: false });
  });

  it('forgets failures when a request in between succeeds', () => {
    const { b } = breaker();
    b.failed('h', false);
    b.failed('h', false);
    b.succeeded('h');
    b.failed('h', false);
    b.failed('h', false);
    expect(b.state('h')).toBe('closed');
  });

  it('lets one trial through after the cool-down and closes when it succeeds', () => {
    const { b, at } = breaker();
    for (let i = 0; i < 3; i++) b.failed('h', false);
    at(1_000);
    expect(b.state('h')).toBe('half-open');
    expect(b.admit('h')).toEqual({ ok: true, trial: true });
    // While the trial is out, everyone else is still answered at once.
    expect(b.admit('h')).toEqual({ ok: false, retryAfterMs: 1_000 });
    b.succeeded('h');
    expect(b.admit('h')).toEqual({ ok: true, trial: false });
    expect(b.state('h')).toBe('closed');
  });

  it('re-opens for twice as long (up to the maximum) when the trial fails', () => {
    const { b, at } = breaker();
    for (let i = 0; i < 3; i++) b.failed('h', false);
    at(1_000);
    expect(b.admit('h')).toEqual({ ok: true, trial: true });
    expect(b.failed('h', true)).toBe(true);
    expect(b.admit('h')).toEqual({ ok: false, retryAfterMs: 2_000 });
    at(3_000);
    expect(b.admit('h')).toEqual({ ok: true, trial: true });
    b.failed('h', true);
    expect(b.admit('h')).toEqual({ ok: false, retryAfterMs: 3_000 });
  });

  it('does not extend an open breaker for requests that started before it opened', () => {
    const { b, at } = breaker();
    for (let i = 0; i < 3; i++) b.failed('h', false);
    at(500);
    expect(b.failed('h', false)).toBe(false);
    at(1_000);
    expect(b.admit('h')).toEqual({ ok: true, trial: true });
  });

  it('lets the next request try when a trial ends without a verdict', () => {
    const { b, at } = breaker();
    for (let i = 0; i < 3; i++) b.failed('h', false);
    at(1_000);
    expect(b.admit('h').ok).toBe(true);
    b.abandoned('h', true);
    expect(b.admit('h')).toEqual({ ok: true, trial: true });
  });
});
