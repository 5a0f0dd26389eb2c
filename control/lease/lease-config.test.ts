// The replica settings read from the environment: lease TTL, rotation timings for drills, stale dispatch takeover.
import { describe, expect, it } from 'bun:test';
import { ConfigError, loadControlConfig } from '../config.ts';

describe('Replica configuration', () => {
  it('defaults to a 10 s lease renewed every third of it, monthly rotation and a 2-minute publish lead', () => {
    const c = loadControlConfig({}, {});
    expect(c.lease).toEqual({ ttlMs: 10_000, renewEveryMs: 3_333 });
    expect(c.keyRing.rotationIntervalMs).toBe(30 * 86_400_000);
    expect(c.keyRing.publishLeadMs).toBe(120_000);
    expect(c.keyRefreshMs).toBe(5_000);
    expect(c.taskStalePlacingMs).toBe(60_000);
  });

  it('reads the lease TTL, rotation timings and the stale dispatch time, refreshing keys well within the lead', () => {
    const c = loadControlConfig(
      {},
      {
        WARREN_LEASE_TTL_MS: '3000',
        WARREN_KEY_ROTATION_INTERVAL_MS: '1000',
        WARREN_KEY_PUBLISH_LEAD_MS: '8000',
        WARREN_TASK_STALE_PLACING_MS: '5000',
      },
    );
    expect(c.lease).toEqual({ ttlMs: 3_000, renewEveryMs: 1_000 });
    expect(c.keyRing.rotationIntervalMs).toBe(1_000);
    expect(c.keyRing.publishLeadMs).toBe(8_000);
    expect(c.keyRefreshMs).toBe(800);
    expect(c.taskStalePlacingMs).toBe(5_000);
  });

  it('refuses a bad value, naming the variable', () => {
    expect(() => loadControlConfig({}, { WARREN_LEASE_TTL_MS: '50' })).toThrow(ConfigError);
    expect(() => loadControlConfig({}, { WARREN_LEASE_TTL_MS: 'soon' })).toThrow(/WARREN_LEASE_TTL_MS/);
    expect(() => loadControlConfig({}, { WARREN_KEY_ROTATION_INTERVAL_MS: '-1' })).toThrow(
      /WARREN_KEY_ROTATION_INTERVAL_MS/,
    );
  });
});
