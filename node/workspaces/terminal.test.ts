// The terminal: a shell on a PTY behind /w/{id}/_terminal, resize messages, the terminal scope, the shell ends with the socket.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { eventually, type ProxyFixture, startProxyFixture } from '../testing/index.ts';

let f: ProxyFixture;
beforeAll(async () => {
  f = await startProxyFixture();
});
afterAll(() => f.close());

/** A terminal socket that collects everything the shell prints. */
async function openTerminal(token: string) {
  const ws = new WebSocket(`${f.node.url.replace('http', 'ws')}/w/${f.ws.id}/_terminal?token=${token}`);
  ws.binaryType = 'arraybuffer';
  let out = '';
  ws.onmessage = (e) => {
    out += typeof e.data === 'string' ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('terminal socket refused'));
  });
  // The shell is ready once it has printed its first prompt; typing earlier mixes the echo into the prompt line.
  await eventually(() => out.length > 0, 'the first prompt');
  return {
    ws,
    output: () => out,
    /** Waits for a line that is exactly `line` (the command's output, not the typed echo of the command). */
    waitForLine: (re: RegExp) =>
      eventually(() => out.split(/\r?\n/).find((l) => re.test(l.trim())), `terminal output ${re}`),
  };
}

/** Is `pid` alive (and not a zombie)? */
function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
  return state !== 'Z' && state !== 'X';
}

describe('Terminal', () => {
  it('runs `echo hi` in the workspace directory and sends the output back', async () => {
    const token = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, scopes: ['terminal'] });
    const t = await openTerminal(token);
    t.ws.send('echo hi\n');
    await t.waitForLine(/^hi$/);
    t.ws.send('pwd\n');
    const pwd = await t.waitForLine(/\/workspaces\/ws[0-9a-z]{20}$/);
    expect(pwd.trim()).toEndWith(`/workspaces/${f.ws.id}`);
    t.ws.close();
  });

  it('resizes the PTY on a resize message', async () => {
    const token = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, scopes: ['terminal'] });
    const t = await openTerminal(token);
    t.ws.send(JSON.stringify({ type: 'resize', cols: 123, rows: 45 }));
    t.ws.send('stty size\n');
    await t.waitForLine(/^45 123$/);
    t.ws.close();
  });

  it('ends the shell and what it started when the socket closes', async () => {
    const token = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, scopes: ['terminal'] });
    const t = await openTerminal(token);
    t.ws.send('sleep 600 & echo "PIDS $$ $!"\n');
    const line = await t.waitForLine(/^PIDS \d+ \d+$/);
    const [shell, child] = line.trim().split(' ').slice(1).map(Number) as [number, number];
    expect(alive(shell)).toBe(true);
    expect(alive(child)).toBe(true);
    t.ws.close();
    await eventually(() => !alive(shell) && !alive(child), 'shell and its child to end');
  });

  it('requires the terminal scope', async () => {
    const token = await f.issuer.mint({ workspaceId: f.ws.id, userId: f.owner, scopes: ['http', 'agent'] });
    const res = await fetch(`${f.node.url}/w/${f.ws.id}/_terminal`, {
      headers: { authorization: `Bearer ${token}`, upgrade: 'websocket', connection: 'upgrade' },
    });
    expect(res.status).toBe(403);
    await expect(openTerminal(token)).rejects.toThrow('refused');
  });

  it('refuses a terminal token of another user', async () => {
    const token = await f.issuer.mint({
      workspaceId: f.ws.id,
      userId: 'usaaaaaaaaaaaaaaaaaaaa',
      scopes: ['terminal'],
    });
    await expect(openTerminal(token)).rejects.toThrow('refused');
  });
});
