import { describe, expect, it } from 'bun:test';
import { ConfigError, loadControlConfig } from '../config.ts';
import { defaultHardeningConfig, parseHardeningConfig } from './hardening-config.ts';

describe('Hardening configuration', () => {
  it('defaults to the socket peer and the commented limits', () => {
    const r = parseHardeningConfig({});
    expect(r).toEqual({ ok: true, config: defaultHardeningConfig() });
  });

  it('reads WARREN_PROXY_HOPS and single limits from WARREN_RATE_LIMITS', () => {
    const r = parseHardeningConfig({
      WARREN_PROXY_HOPS: '1',
      WARREN_RATE_LIMITS: '{"signIn":{"burst":5,"perMinute":2}}',
    });
    if (!r.ok) throw new Error(r.message);
    expect(r.config.proxyHops).toBe(1);
    expect(r.config.rateLimits.signIn).toEqual({ burst: 5, perMinute: 2 });
    expect(r.config.rateLimits.nodeJoin).toEqual(defaultHardeningConfig().rateLimits.nodeJoin);
  });

  it('stops the start with a message naming the variable and what is wrong', () => {
    const bad = (env: Record<string, string>) => () => loadControlConfig({}, env);
    expect(bad({ WARREN_PROXY_HOPS: 'yes' })).toThrow(ConfigError);
    expect(bad({ WARREN_PROXY_HOPS: '-1' })).toThrow('WARREN_PROXY_HOPS must be an integer');
    expect(bad({ WARREN_RATE_LIMITS: 'fast' })).toThrow('WARREN_RATE_LIMITS must be a JSON object');
    expect(bad({ WARREN_RATE_LIMITS: '{"signin":{"burst":1,"perMinute":1}}' })).toThrow('WARREN_RATE_LIMITS');
    expect(bad({ WARREN_RATE_LIMITS: '{"signIn":{"burst":0,"perMinute":1}}' })).toThrow(
      'WARREN_RATE_LIMITS.signIn.burst must be at least 1',
    );
    expect(loadControlConfig({}, { WARREN_PROXY_HOPS: '2' }).hardening.proxyHops).toBe(2);
  });
});
