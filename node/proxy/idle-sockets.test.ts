// The idle-connection pool the raw front and UpstreamPool share: warmest first, capped per key, cut on failure.
import { describe, expect, it } from 'bun:test';
import { IdleSockets } from './idle-sockets.ts';

/** A connection that records how it was closed. */
function conn(name: string) {
  return {
    name,
    closed: undefined as 'end' | 'terminate' | undefined,
    end() {
      this.closed = 'end';
    },
    terminate() {
      this.closed = 'terminate';
    },
  };
}

describe('IdleSockets', () => {
  it('hands back the connection parked last, per key, and nothing for another key', () => {
    const idle = new IdleSockets<ReturnType<typeof conn>>();
    const a = conn('a');
    const b = conn('b');
    idle.park('127.0.0.1:3000', a);
    idle.park('127.0.0.1:3000', b);
    expect(idle.take('127.0.0.1:3001')).toBeUndefined();
    expect(idle.take('127.0.0.1:3000')?.name).toBe('b');
    expect(idle.take('127.0.0.1:3000')?.name).toBe('a');
    expect(idle.take('127.0.0.1:3000')).toBeUndefined();
  });

  it('ends a connection past the cap instead of keeping it', () => {
    const idle = new IdleSockets<ReturnType<typeof conn>>(2);
    const all = [conn('1'), conn('2'), conn('3')];
    for (const c of all) idle.park('k', c);
    expect(all.map((c) => c.closed)).toEqual([undefined, undefined, 'end']);
  });

  it('forgets a connection that closed while parked, so it is never handed out', () => {
    const idle = new IdleSockets<ReturnType<typeof conn>>();
    const a = conn('a');
    const b = conn('b');
    idle.park('k', a);
    idle.park('k', b);
    idle.remove('k', b);
    expect(idle.take('k')?.name).toBe('a');
    expect(idle.take('k')).toBeUndefined();
  });

  it('cuts every idle connection to a key that failed, and ends all on close', () => {
    const idle = new IdleSockets<ReturnType<typeof conn>>();
    const dead = [conn('1'), conn('2')];
    const other = conn('3');
    for (const c of dead) idle.park('down', c);
    idle.park('up', other);
    idle.drop('down');
    expect(dead.map((c) => c.closed)).toEqual(['terminate', 'terminate']);
    expect(idle.take('down')).toBeUndefined();
    idle.close();
    expect(other.closed).toBe('end');
    expect(idle.take('up')).toBeUndefined();
  });
});
