// The terminal: reconnecting login shells on PTYs behind /w/{id}/_terminal — sessions, replay, list, close, grace.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { newId } from '../../contract/index.ts';
import {
  eventually,
  hostedRoute,
  type ProxyFixture,
  screenLines,
  startProxyFixture,
  startTestIngress,
} from '../testing/index.ts';

/** Is `pid` alive (and not a zombie)? */
function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
  return state !== 'Z' && state !== 'X';
}

interface SessionMessage {
  type: 'session';
  id: string;
  created: boolean;
  replayBytes: number;
}

/** A terminal socket that collects the session message, everything the shell prints, and how the socket closed. */
async function connectTerminal(
  f: ProxyFixture,
  workspaceId: string,
  token: string,
  query = '',
  base = f.node.url,
) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/w/${workspaceId}/_terminal?token=${token}${query}`);
  ws.binaryType = 'arraybuffer';
  let out = '';
  let session: SessionMessage | undefined;
  let closed: { code: number; reason: string } | undefined;
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') session = JSON.parse(e.data) as SessionMessage;
    else out += new TextDecoder().decode(e.data as ArrayBuffer);
  };
  ws.onclose = (e) => {
    closed = { code: e.code, reason: e.reason };
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('terminal socket refused'));
  });
  const lines = () => screenLines(out);
  return {
    ws,
    output: () => out,
    closed: () => eventually(() => closed, 'the terminal socket to close'),
    session: () => eventually(() => session, 'the session message'),
    /** The shell is ready once it printed its first prompt; typing earlier mixes the echo into the prompt line. */
    prompt: () => eventually(() => out.length > 0, 'the first prompt'),
    /** Waits for a line that matches `re` (the command's output, not the typed echo of the command). */
    waitForLine: (re: RegExp) => eventually(() => lines().find((l) => re.test(l)), `terminal output ${re}`),
    count: (re: RegExp) => lines().filter((l) => re.test(l)).length,
    async close() {
      ws.close();
      await eventually(() => closed, 'the terminal socket to close');
    },
  };
}

/** The shell's pid, asked through the terminal. */
async function shellPid(t: Awaited<ReturnType<typeof connectTerminal>>, tag: string): Promise<number> {
  t.ws.send(`echo "PID-${tag} $$"\n`);
  const line = await t.waitForLine(new RegExp(`^PID-${tag} \\d+$`));
  return Number(line.split(' ')[1]);
}

describe('Terminal', () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(() => f.close());

  const token = (workspaceId = f.ws.id, userId = f.owner) =>
    f.issuer.mint({ workspaceId, userId, scopes: ['terminal'] });
  const open = async (query = '', workspaceId = f.ws.id, userId = f.owner) =>
    connectTerminal(f, workspaceId, await token(workspaceId, userId), query);
  const sessions = async (workspaceId = f.ws.id, userId = f.owner) => {
    const res = await fetch(`${f.node.url}/w/${workspaceId}/_terminal/sessions`, {
      headers: { authorization: `Bearer ${await token(workspaceId, userId)}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: { id: string; clients: number; expiresAt: string | null }[] })
      .items;
  };
  const remove = async (sid: string, workspaceId = f.ws.id) =>
    fetch(`${f.node.url}/w/${workspaceId}/_terminal/sessions/${sid}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await token(workspaceId)}` },
    });

  it('runs `echo hi` in the workspace directory and names its new session first', async () => {
    const t = await open();
    const s = await t.session();
    expect(s.created).toBe(true);
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await t.prompt();
    t.ws.send('echo hi\n');
    await t.waitForLine(/^hi$/);
    t.ws.send('pwd\n');
    const pwd = await t.waitForLine(/\/workspaces\/ws[0-9a-z]{20}$/);
    expect(pwd).toEndWith(`/workspaces/${f.ws.id}`);
    t.ws.send(JSON.stringify({ type: 'close' }));
    expect((await t.closed()).code).toBe(4000);
  });

  it('starts a login bash with line editing and history', async () => {
    const t = await open();
    await t.prompt();
    t.ws.send('shopt -q login_shell && echo "LOGIN-$BASH_VERSINFO"\n');
    await t.waitForLine(/^LOGIN-\d+$/);
    t.ws.send('echo again-$((40+2))\n');
    await t.waitForLine(/^again-42$/);
    // Arrow up recalls the last line from the history; Enter runs it a second time.
    t.ws.send('\x1b[A');
    t.ws.send('\r');
    await eventually(() => t.count(/^again-42$/) === 2, 'the recalled command to run again');
    t.ws.send(JSON.stringify({ type: 'close' }));
    await t.closed();
  });

  it("uses the workspace's own shell setting, and sh when that shell is missing", async () => {
    const userId = newId('user');
    const withSh = await f.addWorkspace({ ownerId: userId, shell: 'sh' });
    const t = await open('', withSh.id, userId);
    await t.prompt();
    t.ws.send('echo "SHELL0-$0" ; echo "BASH-$' + '{BASH_VERSION:-none}"\n');
    await t.waitForLine(/^SHELL0-sh$/);
    await t.waitForLine(/^BASH-none$/);
    await t.close();
    const missing = await f.addWorkspace({ ownerId: userId, shell: 'nosuchshell' });
    const m = await open('', missing.id, userId);
    await m.waitForLine(/^warren: shell nosuchshell not found in this workspace, using sh$/);
    // Typed ahead of sh's prompt, the output shares its line with the prompt: match the computed value only.
    m.ws.send('echo fallback-$((1+1))\n');
    await m.waitForLine(/fallback-2$/);
    await m.close();
  });

  it('resizes the PTY on a resize message and to the window given on attach', async () => {
    const t = await open('&cols=100&rows=30');
    await t.prompt();
    t.ws.send('stty size\n');
    await t.waitForLine(/^30 100$/);
    t.ws.send(JSON.stringify({ type: 'resize', cols: 123, rows: 45 }));
    t.ws.send('stty size\n');
    await t.waitForLine(/^45 123$/);
    const { id } = await t.session();
    await t.close();
    const again = await open(`&session=${id}&cols=90&rows=20`);
    again.ws.send('stty size\n');
    await again.waitForLine(/^20 90$/);
    await again.close();
    expect((await remove(id)).status).toBe(204);
  });

  it('keeps the shell when the socket closes and replays its screen on reattach', async () => {
    const t = await open();
    const { id } = await t.session();
    await t.prompt();
    const pid = await shellPid(t, 'first');
    t.ws.send('sleep 600 & echo "CHILD $!"\n');
    const child = Number((await t.waitForLine(/^CHILD \d+$/)).split(' ')[1]);
    t.ws.send('echo marker-$((6*7))\n');
    await t.waitForLine(/^marker-42$/);
    await t.close();

    // Detached: the shell and what it runs are alive, counting down their grace period.
    expect(alive(pid)).toBe(true);
    expect(alive(child)).toBe(true);
    const listed = (await sessions()).find((s) => s.id === id);
    expect(listed?.clients).toBe(0);
    expect(listed?.expiresAt).not.toBeNull();

    const back = await open(`&session=${id}`);
    const s = await back.session();
    expect(s).toMatchObject({ id, created: false });
    expect(s.replayBytes).toBeGreaterThan(0);
    // The replay brings back what was on the screen before, without running anything again.
    await back.waitForLine(/^marker-42$/);
    expect(await shellPid(back, 'second')).toBe(pid);
    expect((await sessions()).find((x) => x.id === id)).toMatchObject({ clients: 1, expiresAt: null });

    expect((await remove(id)).status).toBe(204);
    expect((await back.closed()).code).toBe(4000);
    await eventually(() => !alive(pid) && !alive(child), 'the shell and its child to end');
    expect((await sessions()).some((x) => x.id === id)).toBe(false);
  });

  it('reattaches through another node that forwards the socket over the mesh, to the same shell and screen', async () => {
    const ingress = startTestIngress({
      verifier: f.node.verifier,
      route: (id) => hostedRoute(f.node.nodeId, id, f.node.url),
    });
    try {
      const t = await open();
      const { id } = await t.session();
      await t.prompt();
      const pid = await shellPid(t, 'meshed');
      t.ws.send('echo via-$((20+22))\n');
      await t.waitForLine(/^via-42$/);
      await t.close();
      const back = await connectTerminal(f, f.ws.id, await token(), `&session=${id}`, ingress.url);
      expect(await back.session()).toMatchObject({ id, created: false });
      await back.waitForLine(/^via-42$/);
      expect(await shellPid(back, 'forwarded')).toBe(pid);
      back.ws.send(JSON.stringify({ type: 'close' }));
      expect((await back.closed()).code).toBe(4000);
      // A session that is gone is a 4404 through the forward too, so the browser starts a new shell.
      const gone = await connectTerminal(f, f.ws.id, await token(), `&session=${id}`, ingress.url);
      expect((await gone.closed()).code).toBe(4404);
    } finally {
      ingress.stop();
    }
  });

  it('runs several terminals per workspace, each its own shell, listed and closed one by one', async () => {
    const a = await open();
    const b = await open();
    const [sa, sb] = [await a.session(), await b.session()];
    expect(sa.id).not.toBe(sb.id);
    await Promise.all([a.prompt(), b.prompt()]);
    const [pa, pb] = [await shellPid(a, 'a'), await shellPid(b, 'b')];
    expect(pa).not.toBe(pb);
    const ids = (await sessions()).map((s) => s.id);
    expect(ids).toContain(sa.id);
    expect(ids).toContain(sb.id);

    expect((await remove(sa.id)).status).toBe(204);
    expect(await a.closed()).toEqual({ code: 4000, reason: 'terminal closed' });
    await eventually(() => !alive(pa), 'the first shell to end');
    expect(alive(pb)).toBe(true);
    expect((await remove(sa.id)).status).toBe(404);
    b.ws.send('exit\n');
    expect(await b.closed()).toEqual({ code: 1000, reason: 'shell exited 0' });
    expect((await sessions()).map((s) => s.id)).not.toContain(sb.id);
  });

  it('runs a one-off ?command= with the shell, ends with its exit status, and never lets it be reattached', async () => {
    const once = await open(`&command=${encodeURIComponent('echo once-$((6*7)); exit 5')}`);
    expect((await once.session()).created).toBe(true);
    expect(await once.closed()).toEqual({ code: 1000, reason: 'shell exited 5' });
    expect(screenLines(once.output())).toContain('once-42');

    // A long command: not listed, not reattachable by its id, and it ends with its socket (no grace period).
    const long = await open(`&command=${encodeURIComponent('echo "PID-long $$"; exec sleep 300')}`);
    const { id } = await long.session();
    const pid = Number((await long.waitForLine(/^PID-long \d+$/)).split(' ')[1]);
    expect((await sessions()).map((x) => x.id)).not.toContain(id);
    const again = await open(`&session=${id}`);
    expect(await again.closed()).toEqual({ code: 4404, reason: 'terminal session not found' });
    expect(alive(pid)).toBe(true);
    await long.close();
    await eventually(() => !alive(pid), 'the one-off command to end with its socket');
  });

  it('answers an unknown session with 4404 and malformed input with a 400', async () => {
    const gone = await open(`&session=${'A'.repeat(22)}`);
    expect(await gone.closed()).toEqual({ code: 4404, reason: 'terminal session not found' });
    const headers = {
      authorization: `Bearer ${await token()}`,
      upgrade: 'websocket',
      connection: 'upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
    };
    for (const q of [
      'session=short',
      'cols=0',
      'rows=abc',
      'cols=5000',
      'command=',
      `command=${'x'.repeat(4097)}`,
      `command=true&session=${'A'.repeat(22)}`,
    ]) {
      const res = await fetch(`${f.node.url}/w/${f.ws.id}/_terminal?${q}`, { headers });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    const bad = await remove('not-an-id');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it("never lets a token for one workspace see, attach to or close another workspace's session", async () => {
    // Workspace B of the same owner: a token for A names A, and A's sessions are all it can reach.
    const b = await f.addWorkspace({ ownerId: f.owner });
    const victim = await open('', b.id);
    const { id: victimId } = await victim.session();
    await victim.prompt();
    const victimPid = await shellPid(victim, 'victim');

    const attack = await open(`&session=${victimId}`, f.ws.id);
    expect(await attack.closed()).toEqual({ code: 4404, reason: 'terminal session not found' });
    expect(attack.output()).toBe('');
    expect((await sessions(f.ws.id)).map((s) => s.id)).not.toContain(victimId);
    expect((await remove(victimId, f.ws.id)).status).toBe(404);
    // Another user with a token for B (were one ever issued) would not reach the owner's session either.
    const stranger = newId('user');
    const other = await f.addWorkspace({ ownerId: stranger });
    const foreign = await open(`&session=${victimId}`, other.id, stranger);
    expect((await foreign.closed()).code).toBe(4404);

    expect(alive(victimPid)).toBe(true);
    victim.ws.send('echo still-mine\n');
    await victim.waitForLine(/^still-mine$/);
    expect((await sessions(b.id)).map((s) => s.id)).toContain(victimId);
    await victim.close();
    expect((await remove(victimId, b.id)).status).toBe(204);
  });

  it('requires the terminal scope, for the socket and the session list', async () => {
    const http = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, scopes: ['http', 'agent'] });
    const res = await fetch(`${f.node.url}/w/${f.ws.id}/_terminal`, {
      headers: { authorization: `Bearer ${http}`, upgrade: 'websocket', connection: 'upgrade' },
    });
    expect(res.status).toBe(403);
    await expect(connectTerminal(f, f.ws.id, http)).rejects.toThrow('refused');
    const list = await fetch(`${f.node.url}/w/${f.ws.id}/_terminal/sessions`, {
      headers: { authorization: `Bearer ${http}` },
    });
    expect(list.status).toBe(403);
  });

  it('refuses a terminal token of another user', async () => {
    const t = await f.issuer.mint({ workspaceId: f.ws.id, userId: newId('user'), scopes: ['terminal'] });
    await expect(connectTerminal(f, f.ws.id, t)).rejects.toThrow('refused');
  });
});

describe('Terminal grace period', () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture({ terminal: { detachGraceMs: 300 } });
  });
  afterAll(() => f.close());

  it('ends a detached session after the grace period', async () => {
    const tok = () => f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, scopes: ['terminal'] });
    const t = await connectTerminal(f, f.ws.id, await tok());
    const { id } = await t.session();
    await t.prompt();
    const pid = await shellPid(t, 'grace');
    await t.close();
    await eventually(() => !alive(pid), 'the detached shell to end after its grace period');
    const late = await connectTerminal(f, f.ws.id, await tok(), `&session=${id}`);
    expect((await late.closed()).code).toBe(4404);
  });
});
