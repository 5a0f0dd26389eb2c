// The upstream response parser: heads, framing, and chunked bodies split at every byte.
import { describe, expect, it } from 'bun:test';
import {
  bodyDone,
  ChunkedDecoder,
  parseResponseFraming,
  parseResponseHead,
  startBody,
  takeBody,
} from './http1-parser.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('parseResponseHead', () => {
  it('waits for the whole head, then reads status, headers and length framing', () => {
    expect(parseResponseHead(b('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n'), false)).toBeUndefined();
    const [head, used] = parseResponseHead(
      b('HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello'),
      false,
    )!;
    expect(head).toEqual({
      status: 201,
      statusText: 'Created',
      headers: [
        ['content-length', '5'],
        ['x-a', '1'],
      ],
      framing: { kind: 'length', length: 5 },
      keepAlive: true,
    });
    expect(used).toBe(b('HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: 1\r\n\r\n').length);
  });

  it('drops hop-by-hop headers and knows chunked, close-delimited and body-less responses', () => {
    const chunked = parseResponseHead(
      b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n'),
      false,
    )!;
    expect(chunked[0].framing).toEqual({ kind: 'chunked' });
    expect(chunked[0].headers).toEqual([]);
    const close = parseResponseHead(b('HTTP/1.1 200 OK\r\n\r\n'), false)!;
    expect(close[0].framing).toEqual({ kind: 'close' });
    expect(close[0].keepAlive).toBe(false);
    expect(
      parseResponseHead(b('HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n'), false)![0].framing,
    ).toEqual({ kind: 'none' });
    expect(parseResponseHead(b('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n'), true)![0].framing).toEqual({
      kind: 'none',
    });
    expect(parseResponseHead(b('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n'), false)![0].keepAlive).toBe(
      false,
    );
  });

  it('throws on garbage', () => {
    expect(() => parseResponseHead(b('SSH-2.0\r\n\r\n'), false)).toThrow();
    expect(() => parseResponseHead(b('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'), false)).toThrow();
  });
});

describe('ChunkedDecoder', () => {
  const wire = '5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nTrailer: x\r\n\r\nNEXT';

  it('decodes a body in one piece and returns what follows it', () => {
    const r = new ChunkedDecoder().push(b(wire));
    expect(Buffer.concat(r.pieces).toString()).toBe('hello, world');
    expect(r.done).toBe(true);
    expect(r.rest?.toString()).toBe('NEXT');
  });

  it('decodes the same body fed one byte at a time', () => {
    const d = new ChunkedDecoder();
    let out = '';
    let done = false;
    for (const byte of b(wire.slice(0, -4))) {
      const r = d.push(Buffer.from([byte]));
      out += Buffer.concat(r.pieces).toString();
      done ||= r.done;
    }
    expect(out).toBe('hello, world');
    expect(done).toBe(true);
  });

  it('throws on a bad chunk size', () => {
    expect(() => new ChunkedDecoder().push(b('zz\r\n'))).toThrow('bad chunk size');
  });
});

describe('takeBody', () => {
  /** Feeds `wire` in pieces of `size` bytes; returns the bytes taken, the payload, and when the body ended. */
  function feed(head: string, wire: string, size: number) {
    const body = startBody(parseResponseFraming(b(head), false)!.framing);
    let taken = 0;
    const pieces: Buffer[] = [];
    let doneAt: number | undefined;
    for (let i = 0; i < wire.length; i += size) {
      const chunk = b(wire.slice(i, i + size));
      const n = takeBody(body, chunk, pieces);
      taken += n;
      if (doneAt === undefined && bodyDone(body)) doneAt = i + n;
      if (n < chunk.length) break;
    }
    return { taken, payload: Buffer.concat(pieces).toString(), doneAt, done: bodyDone(body) };
  }

  it('takes exactly a Content-Length body, fed whole or byte by byte, and leaves what follows', () => {
    for (const size of [1, 3, 100])
      expect(feed('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'helloNEXT', size)).toEqual({
        taken: 5,
        payload: 'hello',
        doneAt: 5,
        done: true,
      });
  });

  it('takes a chunked body up to its trailers and de-chunks its payload', () => {
    const wire = '5\r\nhello\r\n0\r\n\r\n';
    for (const size of [1, 4, 100])
      expect(feed('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', `${wire}NEXT`, size)).toEqual({
        taken: wire.length,
        payload: 'hello',
        doneAt: wire.length,
        done: true,
      });
  });

  it('takes everything of a body framed by the close and never ends it; a body-less one takes nothing', () => {
    expect(feed('HTTP/1.1 200 OK\r\n\r\n', 'all of it', 4)).toEqual({
      taken: 9,
      payload: 'all of it',
      doneAt: undefined,
      done: false,
    });
    expect(feed('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'NEXT', 4)).toEqual({
      taken: 0,
      payload: '',
      doneAt: 0,
      done: true,
    });
  });
});

describe('parseResponseFraming', () => {
  it('agrees with parseResponseHead on framing and keep-alive', () => {
    const heads = [
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
      'HTTP/1.1 200 OK\r\n\r\n',
      'HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n',
      'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n',
      'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n',
    ];
    for (const h of heads) {
      for (const noBody of [false, true]) {
        const full = parseResponseHead(b(h), noBody)!;
        const lean = parseResponseFraming(b(`${h}body`), noBody)!;
        expect({ h, status: lean.status, framing: lean.framing, keepAlive: lean.keepAlive }).toEqual({
          h,
          status: full[0].status,
          framing: full[0].framing,
          keepAlive: full[0].keepAlive,
        });
        expect(lean.headLength).toBe(full[1]);
      }
    }
  });

  it('waits for the whole head and throws on garbage', () => {
    expect(parseResponseFraming(b('HTTP/1.1 200 OK\r\n'), false)).toBeUndefined();
    expect(() => parseResponseFraming(b('SSH-2.0\r\n\r\n'), false)).toThrow();
    expect(() => parseResponseFraming(b('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n'), false)).toThrow();
  });
});
