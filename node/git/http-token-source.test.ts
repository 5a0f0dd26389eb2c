// Tests of the HTTP GitTokenSource against a real local server.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { ProvenCall } from '../control-proof.ts';
import { createHttpGitTokenSource } from './http-token-source.ts';

const W1 = 'ws00000000000000000001';
let answer: { status: number; body: unknown } = { status: 200, body: {} };
let seen: { path: string; auth: string | null; method: string } | undefined;
let server: ReturnType<typeof Bun.serve>;

beforeAll(() => {
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (req) => {
      seen = { path: new URL(req.url).pathname, auth: req.headers.get('authorization'), method: req.method };
      return Response.json(answer.body, { status: answer.status });
    },
  });
});
afterAll(() => server.stop(true));

describe('HTTP git token source', () => {
  /** What the source asked headers for: the call the proof must be made for. */
  let proven: ProvenCall | undefined;
  const source = () =>
    createHttpGitTokenSource({
      controlUrl: `http://127.0.0.1:${server.port}/`,
      headers: async (call) => {
        proven = call;
        return { authorization: 'Bearer node-certificate' };
      },
    });

  it('posts to the workspace git-token endpoint with the node headers and decodes the token', async () => {
    answer = {
      status: 200,
      body: { token: 'ghs_x', expiresAt: '2030-01-01T00:00:00Z', repositoryIds: [1, 2] },
    };
    const grant = await source().fetch(W1);
    expect(grant).toEqual({ token: 'ghs_x', expiresAt: new Date('2030-01-01T00:00:00Z') });
    expect(seen).toEqual({
      path: `/api/v1/workspaces/${W1}/git-token`,
      auth: 'Bearer node-certificate',
      method: 'POST',
    });
    // The proof is asked for exactly this request: POST to the full URL, no body.
    expect(proven).toEqual({
      method: 'POST',
      url: `http://127.0.0.1:${server.port}/api/v1/workspaces/${W1}/git-token`,
    });
  });

  it('throws on a refusal or a body of the wrong shape', async () => {
    answer = { status: 404, body: { error: { code: 'not_found', message: 'x' } } };
    await expect(source().fetch(W1)).rejects.toMatchObject({ status: 404 });
    answer = { status: 200, body: { token: 'ghs_x', expiresAt: 'tomorrow', repositoryIds: [] } };
    await expect(source().fetch(W1)).rejects.toMatchObject({ status: 502 });
  });
});
