// InflightCap: a per-host bound; slots come back on release, and hosts never share them.
import { describe, expect, it } from 'bun:test';
import { InflightCap } from './inflight-cap.ts';

describe('InflightCap', () => {
  it('refuses past the limit for one host while others keep their own slots', () => {
    const cap = new InflightCap(2);
    expect(cap.acquire('bad')).toBe(true);
    expect(cap.acquire('bad')).toBe(true);
    expect(cap.acquire('bad')).toBe(false);
    expect(cap.inFlight('bad')).toBe(2);
    expect(cap.acquire('good')).toBe(true);
    expect(cap.acquire('good')).toBe(true);
  });

  it('gives a slot back on release', () => {
    const cap = new InflightCap(1);
    expect(cap.acquire('h')).toBe(true);
    expect(cap.acquire('h')).toBe(false);
    cap.release('h');
    expect(cap.inFlight('h')).toBe(0);
    expect(cap.acquire('h')).toBe(true);
  });
});
