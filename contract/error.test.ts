// The one error writer: the status comes from the code, the body has the one shape, validation issues one form.
import { describe, expect, it } from 'bun:test';
import * as v from 'valibot';
import { ERROR_CODES, ERROR_STATUS, ErrorBody, errorResponse, validationDetail } from './error.ts';

describe('errorResponse', () => {
  it('answers every code with the status the code maps to and the one body shape', async () => {
    for (const code of ERROR_CODES) {
      const res = errorResponse(code, `a ${code}`);
      expect(res.status).toBe(ERROR_STATUS[code]);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await res.json();
      expect(v.is(ErrorBody, body)).toBe(true);
      expect(body).toEqual({ error: { code, message: `a ${code}` } });
    }
  });

  it('has a code for 405, so a wrong method is not answered with a 400 code', () => {
    expect(ERROR_STATUS.method_not_allowed).toBe(405);
    expect(errorResponse('method_not_allowed', 'use GET').status).toBe(405);
  });

  it('carries detail and adds headers without dropping its own', async () => {
    const res = errorResponse('unavailable', 'later', {
      detail: { why: 'busy' },
      headers: { 'retry-after': '5' },
    });
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({
      error: { code: 'unavailable', message: 'later', detail: { why: 'busy' } },
    });
  });
});

describe('validationDetail', () => {
  it("reports where, the dotted path and the message of each issue, not the issue's input field", () => {
    const r = v.safeParse(v.object({ a: v.object({ b: v.number() }) }), { a: { b: 'x' } });
    expect(r.success).toBe(false);
    const detail = validationDetail('json', r.issues ?? []);
    expect(detail.issues).toEqual([{ in: 'json', path: 'a.b', message: expect.any(String) }]);
    expect(Object.keys(detail.issues[0]!).sort()).toEqual(['in', 'message', 'path']);
  });

  it('keeps at most 20 issues', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ message: `m${i}`, path: [`p${i}`] }));
    expect(validationDetail('query', many).issues).toHaveLength(20);
  });
});
