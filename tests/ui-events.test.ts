// The control plane's side of the UI: the live event stream (snapshot, pushed changes, visibility, sign-out)
// and the bundled UI it serves at `/`.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LiveEvent } from '../contract/index.ts';
import {
  createTestNodeKey,
  FakeClock,
  type PushRecorder,
  startPushRecorder,
  startTestControl,
  type TestControl,
  type TestNodeCredential,
} from '../control/testing/index.ts';

let control: TestControl;
/** Where the control plane pushes assignments for the nodes these tests join by hand. */
let pushes: PushRecorder;

beforeAll(async () => {
  control = await startTestControl();
  pushes = startPushRecorder();
});
afterAll(async () => {
  await control.stop();
  await pushes.stop();
});

/** Reads `data:` frames of an SSE response as LiveEvents. */
function follow(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: LiveEvent[] = [];
  let ended = false;
  const pull = async (deadline: number): Promise<void> => {
    const timeout = new Promise<'timeout'>((r) =>
      setTimeout(() => r('timeout'), Math.max(0, deadline - Date.now())),
    );
    const chunk = await Promise.race([reader.read(), timeout]);
    if (chunk === 'timeout') throw new Error('no event before the deadline');
    if (chunk.done) {
      ended = true;
      return;
    }
    buffer += decoder.decode(chunk.value, { stream: true });
    let cut = buffer.indexOf('\n\n');
    while (cut >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of frame.split('\n'))
        if (line.startsWith('data: ')) queue.push(JSON.parse(line.slice(6)));
      cut = buffer.indexOf('\n\n');
    }
  };
  return {
    /** The next event, waiting up to `ms`. */
    async next(ms = 5000): Promise<LiveEvent> {
      const deadline = Date.now() + ms;
      while (queue.length === 0) {
        if (ended) throw new Error('the stream ended');
        await pull(deadline);
      }
      return queue.shift()!;
    },
    /** Resolves true once the server ends the stream, false if it is still open at the deadline. */
    async ends(ms = 5000): Promise<boolean> {
      const deadline = Date.now() + ms;
      try {
        while (!ended) await pull(deadline);
        return true;
      } catch {
        return false;
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

const events = (headers: Record<string, string>) => fetch(`${control.url}/api/v1/events`, { headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function newMember(name: string) {
  const r = await control.client.POST('/api/v1/users', { body: { name } });
  expect(r.response.status).toBe(200);
  return {
    token: r.data!.apiToken,
    client: control.clientWith(r.data!.apiToken),
    loginLink: r.data!.loginLink,
  };
}

async function project(client = control.client, name = `p-${crypto.randomUUID().slice(0, 8)}`) {
  const r = await client.POST('/api/v1/projects', { body: { name } });
  expect(r.response.status).toBe(200);
  return r.data!.id;
}

describe('Live event stream', () => {
  it('refuses callers without credentials', async () => {
    const r = await events({});
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('starts with a snapshot and pushes each workspace change as it is made', async () => {
    const projectId = await project();
    const before = await control.client.POST('/api/v1/workspaces', { body: { name: 'already', projectId } });
    const r = await events(bearer(control.adminToken));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const stream = follow(r);
    const snapshot = await stream.next();
    expect(snapshot.type).toBe('snapshot');
    if (snapshot.type !== 'snapshot') return;
    expect(snapshot.workspaces.map((w) => w.id)).toContain(before.data!.id);

    const created = await control.client.POST('/api/v1/workspaces', { body: { name: 'pushed', projectId } });
    const added = await stream.next();
    expect(added).toMatchObject({
      type: 'workspace',
      workspace: { id: created.data!.id, status: 'pending' },
    });

    await control.client.POST('/api/v1/workspaces/{id}/stop', { params: { path: { id: created.data!.id } } });
    const stopped = await stream.next();
    expect(stopped).toMatchObject({
      type: 'workspace',
      workspace: { id: created.data!.id, desiredState: 'stopped' },
    });
    await stream.cancel();
  });

  it('pushes node joins and heartbeat reports (a workspace turning running, node load and isolation)', async () => {
    const stream = follow(await events(bearer(control.adminToken)));
    expect((await stream.next()).type).toBe('snapshot');
    const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
    const key = await createTestNodeKey();
    const joined = await control.clientWith().POST('/api/v1/nodes/join', {
      body: {
        joinToken: jt.data!.token,
        name: 'n-live',
        publicKey: key.publicKey,
        address: pushes.url,
        capacity: { workspaces: 4 },
      },
    });
    expect(joined.response.status).toBe(200);
    const seen: LiveEvent[] = [];
    while (!seen.some((e) => e.type === 'node' && e.node.id === joined.data!.nodeId))
      seen.push(await stream.next());

    const ws = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'on-node', projectId: await project(), nodeId: joined.data!.nodeId },
    });
    const hb = await control.nodeClient({ ...joined.data!, key }).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: joined.data!.nodeId } },
      body: {
        workspaces: [{ id: ws.data!.id, status: 'running' }],
        load: { cpu: 0.25, memory: 0.5 },
        isolation: 'sandbox',
      },
    });
    expect(hb.response.status).toBe(200);
    let running = false;
    let loaded = false;
    while (!running || !loaded) {
      const e = await stream.next();
      if (e.type === 'workspace' && e.workspace.id === ws.data!.id && e.workspace.status === 'running')
        running = true;
      if (e.type === 'node' && e.node.id === joined.data!.nodeId && e.node.load?.cpu === 0.25) {
        expect(e.node.isolation).toBe('sandbox');
        loaded = true;
      }
    }
    await stream.cancel();
  });

  it('shows a member only the workspaces they may see', async () => {
    const member = await newMember('watcher');
    const stream = follow(await events(bearer(member.token)));
    const snapshot = await stream.next();
    expect(snapshot).toMatchObject({ type: 'snapshot', workspaces: [] });
    // The admin's new workspace must not reach the member; the member's own one does, and comes first.
    await control.client.POST('/api/v1/workspaces', { body: { name: 'admins', projectId: await project() } });
    const own = await member.client.POST('/api/v1/workspaces', {
      body: { name: 'mine', projectId: await project(member.client) },
    });
    expect(own.response.status).toBe(200);
    let next = await stream.next();
    // Node events (a node's workspace count) are for everyone, like GET /nodes; skip them.
    while (next.type === 'node') next = await stream.next();
    expect(next).toMatchObject({ type: 'workspace', workspace: { id: own.data!.id } });
    await stream.cancel();
  });

  it('streams the caller’s tasks and signals activity only to those who may see the workspace', async () => {
    const member = await newMember('bystander');
    const theirs = follow(await events(bearer(member.token)));
    expect(await theirs.next()).toMatchObject({ type: 'snapshot', tasks: [] });
    const mine = follow(await events(bearer(control.adminToken)));
    expect((await mine.next()).type).toBe('snapshot');

    const projectId = await project();
    const task = await control.client.POST('/api/v1/tasks', { body: { projectId, prompt: 'tidy up' } });
    expect(task.response.status).toBe(200);
    let e = await mine.next();
    while (!(e.type === 'task' && e.task.id === task.data!.id)) e = await mine.next();
    expect(e).toMatchObject({ type: 'task', task: { prompt: 'tidy up' } });

    // A node posts to the activity log of a workspace it hosts: the admin's stream hears of it.
    const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
    const key = await createTestNodeKey();
    const joined = (
      await control.clientWith().POST('/api/v1/nodes/join', {
        body: {
          joinToken: jt.data!.token,
          name: 'n-activity',
          publicKey: key.publicKey,
          address: pushes.url,
          capacity: { workspaces: 2 },
        },
      })
    ).data!;
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'logged', projectId, nodeId: joined.nodeId },
    });
    const other = await control.client.POST('/api/v1/workspaces', { body: { name: 'unlogged', projectId } });
    const post = (as: string | TestNodeCredential, id: string) =>
      (typeof as === 'string' ? control.clientWith(as) : control.nodeClient(as)).POST(
        '/api/v1/workspaces/{id}/activity',
        {
          params: { path: { id } },
          body: { type: 'agent.turn_ended', message: 'turn ended' },
        },
      );
    // A refused post (a user token is not the hosting node) signals nothing.
    expect((await post(control.adminToken, other.data!.id)).response.status).toBe(401);
    expect((await post({ ...joined, key }, ws.data!.id)).response.status).toBe(200);
    e = await mine.next();
    while (e.type !== 'activity') e = await mine.next();
    expect(e).toEqual({ type: 'activity', workspaceId: ws.data!.id });
    // The member cannot see that workspace or task: neither reaches their stream.
    const own = await member.client.POST('/api/v1/projects', { body: { name: 'own' } });
    await member.client.POST('/api/v1/workspaces', { body: { name: 'marker', projectId: own.data!.id } });
    let m = await theirs.next();
    while (m.type === 'node') m = await theirs.next();
    expect(m).toMatchObject({ type: 'workspace', workspace: { name: 'marker' } });
    await Promise.all([mine.cancel(), theirs.cancel()]);
  });

  it('ends the stream of a session that signed out', async () => {
    const member = await newMember('leaver');
    const login = await fetch(member.loginLink, { redirect: 'manual' });
    expect(login.status).toBe(302);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const stream = follow(await events({ cookie }));
    expect((await stream.next()).type).toBe('snapshot');
    const out = await fetch(`${control.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(200);
    expect(await stream.ends()).toBe(true);
    // And it cannot come back with the same cookie.
    expect((await events({ cookie })).status).toBe(401);
  });
});

describe('Live event stream and time', () => {
  it('pushes a change only time makes (a node that stopped heartbeating) with no request to hang on', async () => {
    const clock = new FakeClock(Date.now());
    // Heartbeats every 100 ms: the stream re-reads state that often; thresholds are the config's.
    const quiet = await startTestControl({ clock, config: { heartbeatIntervalMs: 100 } });
    try {
      const jt = await quiet.client.POST('/api/v1/join-tokens', { body: {} });
      const key = await createTestNodeKey();
      const joined = await quiet.clientWith().POST('/api/v1/nodes/join', {
        body: {
          joinToken: jt.data!.token,
          name: 'n-quiet',
          publicKey: key.publicKey,
          address: pushes.url,
          capacity: { workspaces: 1 },
        },
      });
      const r = await fetch(`${quiet.url}/api/v1/events`, { headers: bearer(quiet.adminToken) });
      const stream = follow(r);
      expect(await stream.next()).toMatchObject({ type: 'snapshot', nodes: [{ status: 'online' }] });
      clock.advance(quiet.deps.config.offlineAfterMs + 1);
      await quiet.deps.liveness.sweep();
      let e = await stream.next(3000);
      while (e.type !== 'node') e = await stream.next(3000);
      expect(e).toMatchObject({ type: 'node', node: { id: joined.data!.nodeId, status: 'offline' } });
      await stream.cancel();
    } finally {
      await quiet.stop();
    }
  });
});

describe('Web UI serving', () => {
  it('serves the page at / and at every UI path, never framed, without a referrer', async () => {
    for (const path of ['/', '/workspaces', '/workspaces/ws123', '/nodes', '/settings', '/tasks']) {
      const r = await fetch(`${control.url}${path}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(await r.text()).toContain('<div id="app">');
    }
  });

  it('serves the bundle under /assets with immutable caching, and 404s unknown files', async () => {
    const html = await (await fetch(`${control.url}/`)).text();
    const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.some((s) => s.endsWith('.js'))).toBe(true);
    expect(scripts.some((s) => s.endsWith('.css'))).toBe(true);
    for (const s of scripts) {
      const r = await fetch(`${control.url}${s}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('cache-control')).toContain('immutable');
    }
    const js = scripts.find((x) => x.endsWith('.js'))!;
    const plain = await fetch(`${control.url}${js}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    const zipped = await fetch(`${control.url}${js}`, {
      headers: { 'accept-encoding': 'gzip' },
      decompress: false,
    });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    const body = new Uint8Array(await zipped.arrayBuffer());
    expect(new TextDecoder().decode(Bun.gunzipSync(body))).toBe(await plain.text());
    const missing = await fetch(`${control.url}/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('keeps UI pages out of the OpenAPI document and leaves API 404s as JSON', async () => {
    const spec = (await (await fetch(`${control.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(spec.paths)).not.toContain('/');
    expect(Object.keys(spec.paths)).toContain('/api/v1/events');
    const r = await fetch(`${control.url}/api/v1/nope`);
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toContain('application/json');
  });

  it('writes the first login link where the sign-in page says it is', () => {
    expect(readFileSync(join(control.dataDir, 'login-link.txt'), 'utf8')).toContain('/auth/login?token=');
  });
});
