// KeySet: refresh on unknown kid at most once per cooldown, and the last good set survives an unreachable source.
import { describe, expect, it } from 'bun:test';
import { exportJWK, generateKeyPair } from 'jose';
import type { Jwks, PublicJwk } from '../../contract/index.ts';
import { KeySet } from './key-set.ts';

async function jwk(kid: string): Promise<PublicJwk> {
  const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { kty: 'OKP', crv: 'Ed25519', x: (await exportJWK(publicKey)).x!, kid, alg: 'EdDSA', use: 'sig' };
}

describe('KeySet', () => {
  it('fetches at most once per cooldown', async () => {
    let t = 1_000_000;
    let calls = 0;
    const a = await jwk('a');
    const b = await jwk('b');
    const keys = new KeySet(
      async () => {
        calls++;
        return { keys: calls === 1 ? [a] : [a, b] };
      },
      30_000,
      () => t,
    );
    expect(await keys.refresh()).toBe(true);
    expect(keys.get('a')).toBeDefined();
    expect(await keys.refresh()).toBe(false);
    t += 29_999;
    expect(await keys.refresh()).toBe(false);
    expect(calls).toBe(1);
    t += 1;
    expect(await keys.refresh()).toBe(true);
    expect(calls).toBe(2);
    expect(keys.get('b')).toBeDefined();
  });

  it('shares one fetch among concurrent callers', async () => {
    let calls = 0;
    const a = await jwk('a');
    const keys = new KeySet(async () => {
      calls++;
      return { keys: [a] };
    }, 30_000);
    await Promise.all([keys.refresh(), keys.refresh(), keys.refresh()]);
    expect(calls).toBe(1);
  });

  it('keeps the last good set when the source fails', async () => {
    let t = 0;
    const a = await jwk('a');
    let fail = false;
    const keys = new KeySet(
      async (): Promise<Jwks> => {
        if (fail) throw new Error('control plane unreachable');
        return { keys: [a] };
      },
      10,
      () => t,
    );
    await keys.refresh();
    fail = true;
    t += 100;
    expect(await keys.refresh()).toBe(false);
    expect(keys.fetchFailures).toBe(1);
    expect(keys.get('a')).toBeDefined();
    expect(keys.current().keys.map((k) => k.kid)).toEqual(['a']);
  });
});
