// Incremental HTTP/1.1 response parsing for the upstream client: the head, and bodies framed by length or chunks.

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** A parsed response head. */
export interface ResponseHead {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** Body length from Content-Length, -1 for chunked, -2 for "until the connection closes", 0 for none. */
  framing: number;
  /** The connection may carry another request afterwards. */
  keepAlive: boolean;
}

/** Headers that describe one hop's connection, never the message: not passed on (RFC 9110 §7.6.1). */
const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
]);

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
  let length = -2;
  let chunked = false;
  let keepAlive = !http10;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('bad header line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      length = Number(value);
      if (!Number.isSafeInteger(length) || length < 0) throw new Error('bad content-length');
    } else if (name === 'transfer-encoding') {
      chunked = value.toLowerCase().endsWith('chunked');
    } else if (name === 'connection') {
      const v = value.toLowerCase();
      if (v.includes('close')) keepAlive = false;
      else if (v.includes('keep-alive')) keepAlive = true;
    }
    if (HOP.has(name)) continue;
    headers.push([name, value]);
  }
  let framing: number;
  if (noBody || status === 204 || status === 304 || (status >= 100 && status < 200)) framing = 0;
  else if (chunked) framing = -1;
  else framing = length;
  if (framing === -2) keepAlive = false;
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
  /** As in ResponseHead: length, -1 chunked, -2 until close, 0 none. */
  framing: number;
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
  let framing: number;
  if (noBody || status === 204 || status === 304 || status < 200) framing = 0;
  else if (headerValue(head, 'transfer-encoding')?.endsWith('chunked')) framing = -1;
  else {
    const cl = headerValue(head, 'content-length');
    if (cl === undefined) framing = -2;
    else {
      framing = Number(cl);
      if (!Number.isSafeInteger(framing) || framing < 0) throw new Error('bad content-length');
    }
  }
  if (framing === -2) keepAlive = false;
  return { status, framing, keepAlive, headLength: end + 4, setCookie: head.includes('set-cookie') };
}

/** The value of header `name` in a lower-cased head whose lines end in CRLF. */
function headerValue(head: string, name: string): string | undefined {
  const at = head.indexOf(`\r\n${name}:`);
  if (at < 0) return undefined;
  const from = at + name.length + 3;
  return head.slice(from, head.indexOf('\r\n', from)).trim();
}
