// `warren ws …` as a real process against a real `warren up`: ssh round trips with the remote exit status, a port
// tunnel moving 10 MB both ways intact, and the node refusing ports the token does not name.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createHash, randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { eventually } from '../control/testing/index.ts';
import { ECHO_APP, rawSession } from '../node/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';
import { startWarrenUp, type WarrenUp } from './testing/index.ts';

const CLI = resolve(import.meta.dir, '../cli/main.ts');
const TCP_ECHO = join(import.meta.dir, 'fixtures', 'tcp-echo.ts');
/** The port the workspace's own TCP echo server listens on (not its app port). */
const ECHO_PORT = 7022;

let up: WarrenUp;
const ids: Record<string, string> = {};

/** Runs the CLI to its end with the `warren up` connection; `stdin` is piped in when given. */
async function warren(args: string[], stdin?: string) {
  const p = Bun.spawn([process.execPath, CLI, ...args], {
    stdin: stdin === undefined ? 'ignore' : new TextEncoder().encode(stdin),
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, WARREN_CONFIG: join(up.dataDir, 'no-login.json') },
  });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, out, err };
}
const conn = () => ['--url', up.controlUrl, '--token', up.adminToken];

beforeAll(async () => {
  up = await startWarrenUp(1);
  const client = createControlClient(up.controlUrl, { token: up.adminToken });
  await client.POST('/api/v1/projects', { body: { name: 'cli' } });
  const bun = process.execPath;
  for (const name of ['fw', 'other']) {
    const app = `${bun} ${TCP_ECHO} ${ECHO_PORT} & exec ${bun} ${ECHO_APP}`;
    const made = await warren(['ws', 'create', name, '--app', app, '--json', ...conn()]);
    expect(made.code).toBe(0);
    ids[name] = (JSON.parse(made.out) as { id: string }).id;
  }
  await eventually(
    async () => {
      const listed = await warren(['ws', 'list', '--json', ...conn()]);
      const items = JSON.parse(listed.out) as { status: string }[];
      return items.length === 2 && items.every((w) => w.status === 'running');
    },
    30_000,
    'both workspaces running',
  );
}, 60_000);
afterAll(() => up?.stop());

describe('warren ws', () => {
  it('lists workspaces by name and status', async () => {
    const r = await warren(['ws', 'list', ...conn()]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`${ids.fw}\\s+fw\\s+running`));
  });

  it('opens the app on its own origin through the cookie exchange', async () => {
    const r = await warren(['ws', 'open', 'fw', '--print', ...conn()]);
    expect(r.code).toBe(0);
    const url = new URL(r.out.trim());
    expect(url.hostname).toStartWith(`ws-${ids.fw}.`);
    expect(url.pathname).toBe('/_auth');
    expect(url.searchParams.get('token')).toBeTruthy();
  });

  it('runs a command over ssh and exits with its exit status', async () => {
    const r = await warren(['ws', 'ssh', 'fw', ...conn(), '--', 'echo hello-$((6*7)); exit 3']);
    expect(r.out).toContain('hello-42');
    expect(r.code).toBe(3);
  });

  it('drives an interactive shell from piped keystrokes and returns its exit status', async () => {
    // A shell ended by a signal reports 128 + its number, as a local one would (SIGKILL: 137).
    const r = await warren(['ws', 'ssh', ids.other!, ...conn()], 'echo typed-$((2+3))\nkill -9 $$\n');
    expect(r.out).toContain('typed-5');
    expect(r.code).toBe(137);
  });

  it('tunnels a local port to a port of the workspace, 10 MB each way intact', async () => {
    const p = Bun.spawn([process.execPath, CLI, 'ws', 'port-forward', 'fw', `0:${ECHO_PORT}`, ...conn()], {
      stdout: 'pipe',
      stderr: 'pipe',
    });
    try {
      const reader = p.stdout.getReader();
      let line = '';
      while (!line.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`port-forward exited: ${await new Response(p.stderr).text()}`);
        line += new TextDecoder().decode(value);
      }
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
      const sent = randomBytes(10 * 1024 * 1024);
      const got = await echoThrough(port, sent);
      expect(got.length).toBe(sent.length);
      expect(createHash('sha256').update(got).digest('hex')).toBe(
        createHash('sha256').update(sent).digest('hex'),
      );
    } finally {
      p.kill('SIGTERM');
      await p.exited;
    }
  });

  it('serves as an ssh ProxyCommand over stdin and stdout', async () => {
    const r = await warren(['ws', 'port-forward', 'fw', '--stdio', String(ECHO_PORT), ...conn()], 'ping\n');
    expect(r.code).toBe(0);
    expect(r.out).toBe('ping\n');
  });

  it('refuses a port outside the token’s ports claim, and another workspace’s port', async () => {
    const client = createControlClient(up.controlUrl, { token: up.adminToken });
    const mint = async (id: string, ports?: number[]) =>
      (
        await client.POST('/api/v1/workspaces/{id}/tokens', {
          params: { path: { id } },
          body: { scopes: ['ports'], ...(ports ? { ports } : {}) },
        })
      ).data!;
    const status = async (nodeUrl: string, id: string, port: number, token: string) => {
      const head =
        `GET /w/${id}/_port/${port} HTTP/1.1\r\nHost: ${new URL(nodeUrl).host}\r\n` +
        `Authorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
      const answer = await rawSession(nodeUrl, [head], (r) => r.includes('\r\n\r\n'));
      return Number(answer.split(' ')[1]);
    };
    const allowed = await mint(ids.fw!, [ECHO_PORT]);
    expect(await status(allowed.nodeUrl!, ids.fw!, ECHO_PORT, allowed.token)).toBe(101);
    // A token for ports [3000] does not open the echo port, nor sshd's.
    const other = await mint(ids.fw!, [3000]);
    expect(await status(other.nodeUrl!, ids.fw!, ECHO_PORT, other.token)).toBe(403);
    expect(await status(other.nodeUrl!, ids.fw!, 22, other.token)).toBe(403);
    // Without a ports claim only the app's own port: not the echo port.
    const bare = await mint(ids.fw!);
    expect(await status(bare.nodeUrl!, ids.fw!, ECHO_PORT, bare.token)).toBe(403);
    // A token for workspace A does not open B's port (404: B's existence is not revealed).
    expect(await status(allowed.nodeUrl!, ids.other!, ECHO_PORT, allowed.token)).toBe(404);
  });
});

/** Sends `data` through the tunnel at `port`, half-closes, and resolves with everything echoed back. */
function echoThrough(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    const s = tcpConnect({ host: '127.0.0.1', port }, () => s.end(data));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolvePromise(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}
