// Tests of the per-workspace git token cache on a fake clock.
import { describe, expect, it } from 'bun:test';
import { GitTokenCache, type GitTokenGrant } from './token-cache.ts';

const W1 = 'ws00000000000000000001';
const MIN = 60_000;

/** A token source whose availability and answers a test controls. */
class ScriptedSource {
  down = false;
  calls = 0;
  ttlMs = 60 * MIN;
  pending: ((g: GitTokenGrant) => void)[] = [];
  hold = false;
  constructor(private readonly now: () => number) {}
  async fetch(workspaceId: string): Promise<GitTokenGrant> {
    this.calls += 1;
    if (this.down) throw new Error('control plane unreachable');
    const grant = { token: `tok-${workspaceId}-${this.calls}`, expiresAt: new Date(this.now() + this.ttlMs) };
    if (this.hold) return new Promise((resolve) => this.pending.push(() => resolve(grant)));
    return grant;
  }
}

function setup() {
  let now = Date.parse('2030-01-01T00:00:00Z');
  const source = new ScriptedSource(() => now);
  const cache = new GitTokenCache({ source, now: () => now, random: () => 0.5 });
  return { source, cache, advance: (ms: number) => (now += ms) };
}

describe('GitTokenCache', () => {
  it('fetches once and serves the cached token until shortly before expiry', async () => {
    const { source, cache, advance } = setup();
    const a = await cache.get(W1);
    expect(a).toMatchObject({ ok: true, token: `tok-${W1}-1`, cached: false });
    advance(49 * MIN);
    expect(await cache.get(W1)).toMatchObject({ ok: true, token: `tok-${W1}-1`, cached: true });
    expect(source.calls).toBe(1);
    advance(2 * MIN); // 9 minutes left: refresh
    expect(await cache.get(W1)).toMatchObject({ ok: true, token: `tok-${W1}-2`, cached: false });
    expect(source.calls).toBe(2);
  });

  it('serves the cached unexpired token while the source is down', async () => {
    const { source, cache, advance } = setup();
    await cache.get(W1);
    source.down = true;
    advance(55 * MIN);
    expect(await cache.get(W1)).toMatchObject({ ok: true, token: `tok-${W1}-1`, cached: true });
  });

  it('stops serving a token about to expire and says when to retry', async () => {
    const { source, cache, advance } = setup();
    await cache.get(W1);
    source.down = true;
    advance(59 * MIN);
    const r = await cache.get(W1);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.retryAfterMs).toBeGreaterThanOrEqual(1000);
  });

  it('backs off after failures instead of asking on every request', async () => {
    const { source, cache, advance } = setup();
    source.down = true;
    expect((await cache.get(W1)).ok).toBe(false);
    expect((await cache.get(W1)).ok).toBe(false);
    expect(source.calls).toBe(1);
    advance(1_000); // backoff for the first failure is 0.5–1 s
    await cache.get(W1);
    expect(source.calls).toBe(2);
    advance(1_000); // second failure: 1–2 s; with random 0.5 that is 1.5 s
    await cache.get(W1);
    expect(source.calls).toBe(2);
    source.down = false;
    advance(600);
    expect(await cache.get(W1)).toMatchObject({ ok: true });
    expect(source.calls).toBe(3);
  });

  it('asks once for concurrent requests', async () => {
    const { source, cache } = setup();
    const all = await Promise.all([cache.get(W1), cache.get(W1), cache.get(W1)]);
    expect(all.every((r) => r.ok)).toBe(true);
    expect(source.calls).toBe(1);
  });

  it('discards a fetch that finishes after the workspace was forgotten', async () => {
    const { source, cache } = setup();
    source.hold = true;
    const pending = cache.get(W1);
    for (let i = 0; i < 100 && source.pending.length === 0; i++) await Promise.resolve();
    expect(source.pending.length).toBe(1);
    cache.forget(W1);
    source.pending[0]!({ token: 'late', expiresAt: new Date() });
    await pending;
    source.hold = false;
    expect(await cache.get(W1)).toMatchObject({ ok: true, token: `tok-${W1}-2` });
  });

  it('drops the token git reports as rejected, and only that one', async () => {
    const { source, cache } = setup();
    await cache.get(W1);
    cache.invalidate(W1, 'some-other-token');
    expect(await cache.get(W1)).toMatchObject({ token: `tok-${W1}-1` });
    cache.invalidate(W1, `tok-${W1}-1`);
    expect(await cache.get(W1)).toMatchObject({ token: `tok-${W1}-2` });
    expect(source.calls).toBe(2);
  });
});
