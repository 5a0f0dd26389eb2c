import { describe, expect, it } from 'bun:test';
import { checkBody, isJsonMediaType, jsonShapeProblem } from './request-body.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const limits = { maxBytes: 1024, maxJsonDepth: 4 };

describe('jsonShapeProblem', () => {
  it('passes objects up to the depth limit, brackets inside strings and escaped quotes not counted', () => {
    expect(jsonShapeProblem(bytes(' {"a":[{"b":[1]}]}'), 4)).toBeUndefined();
    expect(jsonShapeProblem(bytes('{"a":"[[[[[[\\"{{{{{{"}'), 4)).toBeUndefined();
    expect(jsonShapeProblem(bytes('{"ü":"[[[[[["}'), 1)).toBeUndefined();
  });

  it('refuses nesting past the limit, bodies that are not objects, and closers that come first', () => {
    expect(jsonShapeProblem(bytes('{"a":[{"b":[[1]]}]}'), 4)).toContain('deeper than 4');
    expect(jsonShapeProblem(bytes('['.repeat(20_000)), 64)).toContain('must be a JSON object');
    expect(jsonShapeProblem(bytes('[]'), 64)).toContain('must be a JSON object');
    expect(jsonShapeProblem(bytes('"x"'), 64)).toContain('must be a JSON object');
    expect(jsonShapeProblem(bytes(`{}${']'.repeat(100)}${'['.repeat(100)}`), 64)).toContain('not valid JSON');
  });
});

describe('checkBody', () => {
  const post = (body: BodyInit | null, type = 'application/json', headers: Record<string, string> = {}) =>
    new Request('http://127.0.0.1/', { method: 'POST', headers: { 'content-type': type, ...headers }, body });

  it('takes JSON by media type only', () => {
    expect(isJsonMediaType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonMediaType('Application/JSON')).toBe(true);
    expect(isJsonMediaType('text/plain')).toBe(false);
    expect(isJsonMediaType('application/json-seq')).toBe(false);
    expect(isJsonMediaType(null)).toBe(false);
  });

  it('lets a request without a body through, whatever its type', async () => {
    expect(await checkBody(post(null, 'application/x-www-form-urlencoded'), limits)).toEqual({
      ok: true,
      bytes: null,
    });
  });

  it('refuses a declared length over the limit before reading, and an undeclared one once past it', async () => {
    const declared = await checkBody(post('{}', 'application/json', { 'content-length': '2048' }), limits);
    expect(declared.ok || declared.error.code).toBe('payload_too_large');
    const streamed = new ReadableStream({
      start(c) {
        c.enqueue(bytes(`{"a":"${'x'.repeat(2000)}"}`));
        c.close();
      },
    });
    const r = await checkBody(
      new Request('http://127.0.0.1/', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: streamed,
        duplex: 'half',
      } as RequestInit),
      limits,
    );
    expect(r.ok || r.error.code).toBe('payload_too_large');
  });

  it('refuses other media types with 415 and bad shapes with 400', async () => {
    const form = await checkBody(post('name=x', 'application/x-www-form-urlencoded'), limits);
    expect(form.ok || form.error.code).toBe('unsupported_media_type');
    const deep = await checkBody(post('{"a":[[[[[1]]]]]}'), limits);
    expect(deep.ok || deep.error.code).toBe('invalid_request');
    const ok = await checkBody(post('{"a":1}'), limits);
    expect(ok.ok && new TextDecoder().decode(ok.bytes ?? new Uint8Array())).toBe('{"a":1}');
  });
});
