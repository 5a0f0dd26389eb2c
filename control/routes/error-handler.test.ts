// The one error shape: validation 400 with issues, unknown routes 404, unexpected failures 500 without internals.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import * as v from 'valibot';
import { ErrorBody } from '../../contract/index.ts';
import { createControlApp } from '../app.ts';
import { createAuthenticator } from '../auth/index.ts';
import { createStore, openDatabase } from '../db/index.ts';
import { startTestControl, type TestControl } from '../testing/index.ts';

let control: TestControl;
beforeAll(async () => {
  control = await startTestControl();
});
afterAll(() => control.stop());

const post = (path: string, body: string, token = control.adminToken) =>
  fetch(`${control.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });

describe('Error shape', () => {
  it('answers invalid bodies with 400 invalid_request and the issues, never the default body or the value', async () => {
    const res = await post(
      '/api/v1/nodes/join',
      JSON.stringify({ joinToken: 'wrn_join_SECRETVALUE', name: '' }),
    );
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(v.is(ErrorBody, body)).toBe(true);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.detail.issues).toContainEqual({
      in: 'body',
      path: 'name',
      message: 'must not be empty',
    });
    const text = JSON.stringify(body);
    expect(text).not.toContain('SECRETVALUE');
    expect(text).not.toContain('"type":"validation"');
  });

  it('answers malformed JSON and bad path parameters with 400', async () => {
    const res = await post('/api/v1/projects', '{not json');
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_request');
    const long = await fetch(`${control.url}/api/v1/projects/${'x'.repeat(200)}`, {
      headers: { authorization: `Bearer ${control.adminToken}` },
    });
    expect(long.status).toBe(400);
    expect((await long.json()).error.detail.issues[0].in).toBe('params');
  });

  it('answers unknown routes with 404 not_found in the same shape', async () => {
    for (const [method, path] of [
      ['GET', '/no/such/route'],
      ['DELETE', '/api/v1/nothing'],
    ] as const) {
      const res = await fetch(`${control.url}${path}`, { method });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
    }
  });

  it('answers an unexpected failure with 500 internal, without stack, query or cause', async () => {
    // The same app over a closed database: every query throws, which is our failure, not the caller's.
    const broken = await openDatabase(`file:${control.dataDir}/broken.db`);
    broken.close();
    const store = createStore(broken.db);
    const deps = control.deps;
    const auth = createAuthenticator({
      store,
      ring: deps.ring,
      clock: deps.clock,
      issuer: () => deps.issuer.issuer,
    });
    const app = createControlApp({ ...deps, store, auth });
    const res = await app.handle(
      new Request('http://localhost/api/v1/projects', {
        headers: { authorization: `Bearer ${control.adminToken}` },
      }),
    );
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'internal', message: 'internal error' } });
  });
});
