// unknownWorkspace: a valid token for a workspace the registry does not hold is 503 until the node can know, then 404.
import { describe, expect, it } from 'bun:test';
import { type Convergence, unknownWorkspace } from './convergence.ts';

const WINDOW_MS = 30_000;
const NOW_MS = 1_800_000_000_000;
const view = (inSync: boolean): Convergence => ({ inSync: () => inSync, windowMs: WINDOW_MS });
const issuedAgo = (ms: number) => Math.floor((NOW_MS - ms) / 1000);

describe('unknownWorkspace', () => {
  it('is still learning while the registry has not synced, however old the token', () => {
    expect(unknownWorkspace(view(false), issuedAgo(1_000), NOW_MS)).toEqual({
      answer: 'learning',
      retryAfterSec: 1,
    });
    expect(unknownWorkspace(view(false), issuedAgo(10 * 60_000), NOW_MS).answer).toBe('learning');
  });

  it('is still learning, though in sync, while the token is younger than the window', () => {
    expect(unknownWorkspace(view(true), issuedAgo(0), NOW_MS).answer).toBe('learning');
    expect(unknownWorkspace(view(true), issuedAgo(WINDOW_MS - 1_000), NOW_MS).answer).toBe('learning');
  });

  it('is absent once the registry is in sync and the token is older than the window', () => {
    expect(unknownWorkspace(view(true), issuedAgo(WINDOW_MS), NOW_MS)).toEqual({ answer: 'absent' });
    expect(unknownWorkspace(view(true), issuedAgo(10 * 60_000), NOW_MS).answer).toBe('absent');
  });

  it('is absent without a convergence view (a node that has no mesh to wait for)', () => {
    expect(unknownWorkspace(undefined, issuedAgo(0), NOW_MS)).toEqual({ answer: 'absent' });
  });
});
