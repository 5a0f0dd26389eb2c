// sentEverything: when a push-pull reply leaves the asker holding all the peer held (the registry is in sync).
import { describe, expect, it } from 'bun:test';
import { sentEverything } from './sync.ts';

describe('sentEverything', () => {
  it('holds when the peer was ahead only on origins it marked covered', () => {
    expect(sentEverything('me', { a: 1, b: 4 }, { a: 3, b: 4 }, { a: 3 })).toBe(true);
    expect(sentEverything('me', {}, {}, {})).toBe(true);
  });

  it('does not hold when the size bound cut an origin the peer was ahead on', () => {
    expect(sentEverything('me', { a: 1 }, { a: 3, b: 2 }, { a: 3 })).toBe(false);
    expect(sentEverything('me', {}, { a: 3 }, {})).toBe(false);
  });

  it('leaves our own origin out: on join we ask for it from zero only to clear a previous life', () => {
    expect(sentEverything('me', { me: 0 }, { me: 9, a: 1 }, { a: 1 })).toBe(true);
  });
});
