// `/w/{id}/_logs`: the last lines and a live tail for a token with the `logs` scope of that workspace, nobody else.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import {
  ERROR_STATUS,
  type ErrorCode,
  type LogLine,
  type WorkspaceAssignment,
} from '../../contract/index.ts';
import { ECHO_APP, eventually, type ProxyFixture, startProxyFixture } from '../testing/index.ts';

let f: ProxyFixture;
let w: WorkspaceAssignment;
beforeAll(async () => {
  f = await startProxyFixture();
  w = await f.addWorkspace({
    appCommand: `echo "hello from the app"; echo "a warning" >&2; exec ${process.execPath} ${ECHO_APP}`,
  });
});
afterAll(() => f.close());

const mint = (
  scopes: ('http' | 'terminal' | 'agent' | 'logs')[],
  o: { workspaceId?: string; userId?: string } = {},
) => f.issuer.mint({ workspaceId: o.workspaceId ?? w.id, userId: o.userId ?? w.ownerId, scopes });

const tail = (token: string, query = '') =>
  fetch(`${f.node.url}/w/${w.id}/_logs${query}`, { headers: { authorization: `Bearer ${token}` } });

describe('Workspace logs endpoint', () => {
  it('answers the last lines, oldest first, tagged with source and stream', async () => {
    const token = await mint(['logs']);
    const lines = await eventually(async () => {
      const r = (await (await tail(token, '?tail=50')).json()) as { lines: LogLine[] };
      return r.lines.length >= 2 ? r.lines : undefined;
    }, 'the app output');
    expect(lines.map((l) => [l.source, l.stream, l.text])).toEqual([
      ['app', 'stdout', 'hello from the app'],
      ['app', 'stderr', 'a warning'],
    ]);
    const one = (await (await tail(token, '?tail=1')).json()) as { lines: LogLine[] };
    expect(one.lines.map((l) => l.text)).toEqual(['a warning']);
  });

  it('refuses a bad tail with the JSON error shape', async () => {
    const res = await tail(await mint(['logs']), '?tail=-1');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('answers another method with 405 and a code that maps to 405', async () => {
    const res = await fetch(`${f.node.url}/w/${w.id}/_logs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await mint(['logs'])}` },
    });
    expect(res.status).toBe(405);
    const body = (await res.json()) as { error: { code: ErrorCode } };
    expect(body.error.code).toBe('method_not_allowed');
    expect(ERROR_STATUS[body.error.code]).toBe(405);
  });

  it('refuses a token without the logs scope, for another workspace, or of another user', async () => {
    const noScope = await tail(await mint(['http', 'terminal', 'agent']));
    expect(noScope.status).toBe(403);
    const other = await tail(await mint(['logs'], { workspaceId: f.ws.id }));
    expect(other.status).toBe(404);
    const stranger = await tail(await mint(['logs'], { userId: 'usaaaaaaaaaaaaaaaaaaaa' }));
    expect(stranger.status).toBe(404);
    const none = await fetch(`${f.node.url}/w/${w.id}/_logs`);
    expect(none.status).toBe(401);
    // A query token counts on WebSocket paths only, never for a plain GET.
    const query = await fetch(`${f.node.url}/w/${w.id}/_logs?token=${await mint(['logs'])}`);
    expect(query.status).toBe(401);
    for (const res of [noScope, other, stranger, none, query]) {
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(typeof body.error.code).toBe('string');
      expect(JSON.stringify(body)).not.toContain('hello from the app');
    }
  });

  it('streams the tail and then each new line over a WebSocket with ?token=', async () => {
    const url = `${f.node.url.replace('http', 'ws')}/w/${w.id}/_logs?tail=10&token=${await mint(['logs'])}`;
    const ws = new WebSocket(url);
    const got: LogLine[] = [];
    ws.onmessage = (e) => got.push(JSON.parse(String(e.data)) as LogLine);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('logs socket refused'));
    });
    await eventually(() => got.length >= 2, 'the tail');
    expect(got.slice(0, 2).map((l) => l.text)).toEqual(['hello from the app', 'a warning']);
    // A new line the app prints (the echo app logs nothing by itself): written by a process in the workspace.
    f.node.runtime.logs.writer(w.id, 'agent', 'stderr').write('live line\n');
    const live = await eventually(() => got.find((l) => l.text === 'live line'), 'the live line');
    expect(live).toMatchObject({ source: 'agent', stream: 'stderr' });
    ws.close();
  });

  it('refuses the WebSocket without the logs scope', async () => {
    const url = `${f.node.url.replace('http', 'ws')}/w/${w.id}/_logs?token=${await mint(['terminal'])}`;
    const ws = new WebSocket(url);
    const outcome = await new Promise<string>((resolve) => {
      ws.onopen = () => resolve('open');
      ws.onerror = () => resolve('refused');
    });
    expect(outcome).toBe('refused');
  });
});
