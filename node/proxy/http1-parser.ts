// Incremental HTTP/1.1 response parsing for the upstream client: the head, and bodies framed by length or chunks.
import { HOP_BY_HOP } from './hop-by-hop.ts';

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** How a response's body ends (RFC 9112 §6.3), as its head says. */
export type Framing =
  /** No body: a HEAD request's answer, 1xx, 204, 304, or Content-Length: 0. */
  | { kind: 'none' }
  /** Content-Length: exactly `length` bytes (more than 0). */
  | { kind: 'length'; length: number }
  /** Transfer-Encoding: chunked, up to the last chunk and the trailers. */
  | { kind: 'chunked' }
  /** Neither: the body runs until the upstream closes the connection, which cannot be kept then. */
  | { kind: 'close' };

const NO_BODY: Framing = { kind: 'none' };
const CHUNKED: Framing = { kind: 'chunked' };
const UNTIL_CLOSE: Framing = { kind: 'close' };

/** The framing of a response with `status` and those headers' values (undefined: the header is absent). */
function framingOf(
  status: number,
  noBody: boolean,
  chunked: boolean,
  contentLength: string | undefined,
): Framing {
  if (noBody || status === 204 || status === 304 || status < 200) return NO_BODY;
  if (chunked) return CHUNKED;
  if (contentLength === undefined) return UNTIL_CLOSE;
  const length = Number(contentLength);
  if (!Number.isSafeInteger(length) || length < 0) throw new Error('bad content-length');
  return length === 0 ? NO_BODY : { kind: 'length', length };
}

/** A parsed response head. */
export interface ResponseHead {
  status: number;
  statusText: string;
  headers: [string, string][];
  framing: Framing;
  /** The connection may carry another request afterwards. */
  keepAlive: boolean;
}

/**
 * Parses the head at the start of `buf`. Returns undefined when it is not complete yet,
 * or `[head, bytesUsed]`. Throws on a malformed head.
 */
export function parseResponseHead(buf: Buffer, noBody: boolean): [ResponseHead, number] | undefined {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    if (buf.length > 64 * 1024) throw new Error('response head too large');
    return undefined;
  }
  const text = buf.toString('latin1', 0, end);
  const lines = text.split('\r\n');
  const statusLine = lines[0]!;
  if (!statusLine.startsWith('HTTP/1.')) throw new Error('not an HTTP/1.x response');
  const status = Number(statusLine.slice(9, 12));
  if (!(status >= 100 && status <= 999)) throw new Error('bad status line');
  const http10 = statusLine.charCodeAt(7) === 48; // HTTP/1.0
  const headers: [string, string][] = [];
  let contentLength: string | undefined;
  let chunked = false;
  let keepAlive = !http10;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('bad header line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      contentLength = value;
      const length = Number(value);
      if (!Number.isSafeInteger(length) || length < 0) throw new Error('bad content-length');
    } else if (name === 'transfer-encoding') {
      chunked = value.toLowerCase().endsWith('chunked');
    } else if (name === 'connection') {
      const v = value.toLowerCase();
      if (v.includes('close')) keepAlive = false;
      else if (v.includes('keep-alive')) keepAlive = true;
    }
    if (HOP_BY_HOP.has(name)) continue;
    headers.push([name, value]);
  }
  const framing = framingOf(status, noBody, chunked, contentLength);
  if (framing.kind === 'close') keepAlive = false;
  return [{ status, statusText: statusLine.slice(13), headers, framing, keepAlive }, end + 4];
}

/** Decodes a chunked body incrementally; `push` returns the payload bytes in `data` and whether the body ended. */
export class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-crlf' | 'trailer' = 'size';
  private remaining = 0;
  private line = '';

  /** Feeds bytes; returns the decoded pieces, whether the body is complete, and any bytes after its end. */
  push(buf: Buffer): { pieces: Buffer[]; done: boolean; rest: Buffer | undefined } {
    const pieces: Buffer[] = [];
    let i = 0;
    while (i < buf.length) {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, buf.length - i);
        pieces.push(buf.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'data-crlf';
        continue;
      }
      // Line-oriented states: collect up to LF.
      const lf = buf.indexOf(10, i);
      if (lf < 0) {
        this.line += buf.toString('latin1', i);
        if (this.line.length > 4096) throw new Error('chunk line too long');
        break;
      }
      const line = (this.line + buf.toString('latin1', i, lf)).replace(/\r$/, '');
      this.line = '';
      i = lf + 1;
      if (this.state === 'size') {
        const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isSafeInteger(size) || size < 0) throw new Error('bad chunk size');
        if (size === 0) this.state = 'trailer';
        else {
          this.remaining = size;
          this.state = 'data';
        }
      } else if (this.state === 'data-crlf') {
        if (line !== '') throw new Error('missing CRLF after chunk');
        this.state = 'size';
      } else if (line === '') {
        // End of trailers: the body is complete.
        return { pieces, done: true, rest: i < buf.length ? buf.subarray(i) : undefined };
      }
    }
    return { pieces, done: false, rest: undefined };
  }
}

/** Framing of a response, without its headers: what a byte-for-byte forwarder needs to know. */
export interface ResponseFraming {
  status: number;
  framing: Framing;
  keepAlive: boolean;
  /** Bytes of the head including the blank line. */
  headLength: number;
  /** The head mentions Set-Cookie: the raw front looks at those lines before passing the head on. */
  setCookie: boolean;
}

/**
 * Reads only status, Content-Length, Transfer-Encoding and Connection from the head at the start of `buf`
 * (one lower-cased copy, no per-header objects). Undefined while the head is incomplete; throws when malformed.
 */
export function parseResponseFraming(buf: Buffer, noBody: boolean): ResponseFraming | undefined {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    if (buf.length > 64 * 1024) throw new Error('response head too large');
    return undefined;
  }
  const head = buf.toString('latin1', 0, end + 2).toLowerCase();
  if (!head.startsWith('http/1.')) throw new Error('not an HTTP/1.x response');
  const status = Number(head.slice(9, 12));
  if (!(status >= 100 && status <= 999)) throw new Error('bad status line');
  let keepAlive = head.charCodeAt(7) !== 48; // HTTP/1.0 closes by default
  const connection = headerValue(head, 'connection');
  if (connection !== undefined) {
    if (connection.includes('close')) keepAlive = false;
    else if (connection.includes('keep-alive')) keepAlive = true;
  }
  const framing = framingOf(
    status,
    noBody,
    headerValue(head, 'transfer-encoding')?.endsWith('chunked') ?? false,
    headerValue(head, 'content-length'),
  );
  if (framing.kind === 'close') keepAlive = false;
  return { status, framing, keepAlive, headLength: end + 4, setCookie: head.includes('set-cookie') };
}

/** The value of header `name` in a lower-cased head whose lines end in CRLF. */
function headerValue(head: string, name: string): string | undefined {
  const at = head.indexOf(`\r\n${name}:`);
  if (at < 0) return undefined;
  const from = at + name.length + 3;
  return head.slice(from, head.indexOf('\r\n', from)).trim();
}

/** How far a response's body has come: what a forwarder keeps between the chunks it reads (see `takeBody`). */
export type BodyProgress =
  | { kind: 'none' }
  | { kind: 'length'; remaining: number }
  | { kind: 'chunked'; decoder: ChunkedDecoder; done: boolean }
  | { kind: 'close' };

/** The start of reading a body framed as `framing`. */
export function startBody(framing: Framing): BodyProgress {
  if (framing.kind === 'length') return { kind: 'length', remaining: framing.length };
  if (framing.kind === 'chunked') return { kind: 'chunked', decoder: new ChunkedDecoder(), done: false };
  // `none` and `close` have nothing to count.
  return framing;
}

/**
 * Reads `chunk` as the next bytes of `body` and returns how many of them belong to it: all of them unless the body
 * ended inside `chunk` (the bytes after it are not this response's). With `pieces`, the body's payload in those
 * bytes (de-chunked) is pushed there. Throws on a malformed chunked body.
 */
export function takeBody(body: BodyProgress, chunk: Buffer, pieces?: Buffer[]): number {
  switch (body.kind) {
    case 'none':
      return 0;
    case 'close':
      if (pieces && chunk.length > 0) pieces.push(chunk);
      return chunk.length;
    case 'length': {
      const n = Math.min(body.remaining, chunk.length);
      body.remaining -= n;
      if (pieces && n > 0) pieces.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      return n;
    }
    case 'chunked': {
      if (body.done) return 0;
      const r = body.decoder.push(chunk);
      if (pieces) for (const p of r.pieces) pieces.push(p);
      body.done = r.done;
      return r.rest ? chunk.length - r.rest.length : chunk.length;
    }
  }
}

/** True once all of `body` has been read; a body framed by the connection's close ends only with it. */
export function bodyDone(body: BodyProgress): boolean {
  return (
    body.kind === 'none' ||
    (body.kind === 'length' && body.remaining === 0) ||
    (body.kind === 'chunked' && body.done)
  );
}
