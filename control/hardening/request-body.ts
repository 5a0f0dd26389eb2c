// Request bodies before anything parses them: JSON only, at most so many bytes (read no further), a bounded depth.
import { ControlError } from '../errors.ts';

/** What a body may be: at most `maxBytes` bytes of JSON nested at most `maxJsonDepth` deep. */
export interface BodyLimits {
  maxBytes: number;
  maxJsonDepth: number;
}

/** A body that passed, as its bytes (null: there was none), or the refusal to answer with. */
export type BodyCheck =
  | { ok: true; bytes: Uint8Array<ArrayBuffer> | null }
  | { ok: false; error: ControlError };

const tooLarge = (max: number) =>
  new ControlError('payload_too_large', `the request body is larger than ${max} bytes`, { maxBytes: max });

/** `application/json`, with or without parameters (charset); nothing else is JSON to this API. */
export function isJsonMediaType(contentType: string | null): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** Content-Length as a number; undefined when absent or not a plain decimal (then the stream is counted). */
function declaredLength(request: Request): number | undefined {
  const raw = request.headers.get('content-length');
  return raw !== null && /^\d{1,15}$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
}

/** Reads `stream` to its end, or stops and cancels it once it exceeds `max` bytes (undefined then). */
async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  max: number,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * Why `bytes` is not a JSON object nested at most `maxDepth` deep, or undefined. One linear pass over the
 * bytes counting brackets outside strings (UTF-8 continuation bytes never equal an ASCII quote or bracket);
 * JSON.parse checks the rest. Every body the API takes is an object, so an array, string or number at the
 * top is refused here too (an optional body of `[]` must not count as "no fields").
 */
export function jsonShapeProblem(bytes: Uint8Array, maxDepth: number): string | undefined {
  let i = 0;
  while (i < bytes.length && isSpace(bytes[i] as number)) i++;
  if (bytes[i] !== OPEN_OBJECT) return 'the request body must be a JSON object';
  let depth = 0;
  let inString = false;
  for (; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > maxDepth) return `the request body nests deeper than ${maxDepth} levels`;
    } else if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && --depth < 0) {
      // Unbalanced: without this, closers first would let the openers after them nest unchecked.
      return 'the request body is not valid JSON';
    }
  }
  return undefined;
}

/**
 * Checks the body of a state-changing request in this order, each before more is read: the declared length,
 * the media type (415 unless JSON), the bytes actually sent (counting stops past the limit), the shape.
 */
export async function checkBody(request: Request, limits: BodyLimits): Promise<BodyCheck> {
  const length = declaredLength(request);
  if (length !== undefined && length > limits.maxBytes)
    return { ok: false, error: tooLarge(limits.maxBytes) };
  const hasBody = length !== undefined ? length > 0 : request.body !== null;
  if (!hasBody || !request.body) return { ok: true, bytes: null };
  if (!isJsonMediaType(request.headers.get('content-type')))
    return {
      ok: false,
      error: new ControlError(
        'unsupported_media_type',
        'a request body must be JSON (Content-Type: application/json)',
      ),
    };
  const bytes = await readAtMost(request.body, limits.maxBytes);
  if (!bytes) return { ok: false, error: tooLarge(limits.maxBytes) };
  if (bytes.byteLength === 0) return { ok: true, bytes: null };
  const problem = jsonShapeProblem(bytes, limits.maxJsonDepth);
  if (problem) return { ok: false, error: new ControlError('invalid_request', problem) };
  return { ok: true, bytes };
}
