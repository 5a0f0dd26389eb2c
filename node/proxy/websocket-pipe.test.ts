// The raw front's WebSocket pipe: frame boundaries followed across any split of the bytes, and an end that puts its
// close frame between two frames, never inside one.
import { describe, expect, it } from 'bun:test';
import { eventually } from '../testing/index.ts';
import { closeFrame, FrameCursor, WebSocketPipe } from './websocket-pipe.ts';

/** An unmasked (server) or masked (client) frame with `n` payload bytes. */
function frame(n: number, masked = false): Buffer {
  const len =
    n < 126
      ? [n]
      : n < 65_536
        ? [126, n >> 8, n & 255]
        : [127, 0, 0, 0, 0, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
  const head = Buffer.from([0x82, (masked ? 0x80 : 0) | len[0]!, ...len.slice(1)]);
  return Buffer.concat([head, masked ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0), Buffer.alloc(n, 7)]);
}

describe('FrameCursor', () => {
  it('knows the boundaries whatever the chunks, for every length encoding and masked frames', () => {
    const frames = [frame(0), frame(5), frame(125), frame(126), frame(300), frame(70_000), frame(9, true)];
    const stream = Buffer.concat(frames);
    const ends = new Set<number>();
    let at = 0;
    for (const f of frames) {
      at += f.length;
      ends.add(at);
    }
    const wrong: string[] = [];
    for (const size of [1, 2, 3, 7, 13, 1000, stream.length]) {
      const c = new FrameCursor();
      for (let i = 0; i < stream.length; i += size) {
        c.advance(stream.subarray(i, i + size));
        const end = Math.min(i + size, stream.length);
        if (c.atBoundary !== ends.has(end)) wrong.push(`chunks of ${size}: at ${end}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('stops at the end of the frame in flight when asked', () => {
    const c = new FrameCursor();
    const a = frame(10);
    const b = frame(10);
    expect(c.advance(a.subarray(0, 4))).toBe(4);
    const rest = Buffer.concat([a.subarray(4), b]);
    expect(c.advance(rest, true)).toBe(a.length - 4);
    expect(c.atBoundary).toBe(true);
    expect(c.advance(b, true)).toBe(0);
  });
});

describe('WebSocketPipe', () => {
  function pipe() {
    const toClient: Buffer[] = [];
    const toApp: Buffer[] = [];
    const state = { closed: false, aborted: false };
    const p = new WebSocketPipe({
      toClient: (b) => toClient.push(b),
      toApp: (b) => toApp.push(b),
      close: () => {
        state.closed = true;
      },
      abort: () => {
        state.aborted = true;
      },
    });
    return { p, toClient, toApp, state };
  }

  it('waits for the frame the app is sending, then closes both sides between frames', () => {
    const { p, toClient, toApp, state } = pipe();
    const big = frame(1000);
    p.fromApp(big.subarray(0, 100));
    p.end(4401, 'token revoked');
    expect(state.closed).toBe(false);
    p.fromClient(frame(3, true)); // dropped: the pipe is ending
    p.fromApp(Buffer.concat([big.subarray(100), frame(5)]));
    expect(state.closed).toBe(true);
    const sent = Buffer.concat(toClient);
    expect(sent.subarray(0, big.length).equals(big)).toBe(true);
    expect(sent.subarray(big.length).equals(closeFrame(4401, 'token revoked', false))).toBe(true);
    // The app gets a (masked) close frame too, and nothing the client sent after the end.
    expect(toApp.length).toBe(1);
    expect(toApp[0]![0]).toBe(0x88);
    expect(toApp[0]![1]! & 0x80).toBe(0x80);
    p.dispose();
  });

  it('cuts both connections when the app does not finish its frame in time', async () => {
    const { p, state } = pipe();
    p.fromApp(frame(1000).subarray(0, 10));
    p.end(4401, 'token expired');
    await eventually(() => state.aborted, 'the connections to be cut', 2_000);
    expect(state.closed).toBe(false);
  });
});
