// `warren ws …` as a real process against a real `warren up`: ssh round trips with the remote exit status, a port
// tunnel moving 10 MB both ways intact, the node refusing ports the token does not name, edits that reach the
// running workspace, and its output read back and followed.
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
    'both workspaces running',
    30_000,
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

  // These change the `other` workspace (it restarts), so they run after the tests that use it as it was.
  it('edits a workspace: a new name and environment, then a variable removed', async () => {
    const r = await warren([
      'ws',
      'edit',
      ids.other!,
      '--name',
      'other2',
      '--env',
      'GREETING=hi there',
      '--json',
      ...conn(),
    ]);
    expect(r.code).toBe(0);
    // The API shows the names of the variables, never their values; the shell in the workspace sees the value.
    expect(JSON.parse(r.out)).toMatchObject({ id: ids.other, name: 'other2', envNames: ['GREETING'] });
    await eventually(
      async () =>
        (await warren(['ws', 'ssh', 'other2', ...conn(), '--', 'echo "g=$GREETING"'])).out.includes(
          'g=hi there',
        ),
      'the restarted workspace to have the new variable',
      30_000,
    );
    const unset = await warren(['ws', 'edit', 'other2', '--unset-env', 'GREETING', '--json', ...conn()]);
    expect(unset.code).toBe(0);
    expect((JSON.parse(unset.out) as { envNames: string[] }).envNames).not.toContain('GREETING');
    const taken = await warren(['ws', 'edit', 'other2', '--name', 'fw', ...conn()]);
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/^warren ws edit: .*fw/);
  }, 60_000);

  it('prints the app’s output and follows it as the app writes more', async () => {
    const app = (word: string) =>
      `echo ${word}-$((40+2)); echo oops-${word} >&2; exec ${process.execPath} ${ECHO_APP}`;
    expect((await warren(['ws', 'edit', 'other2', '--app-command', app('first'), ...conn()])).code).toBe(0);
    await eventually(
      async () => (await warren(['ws', 'logs', 'other2', ...conn()])).out.includes('first-42'),
      'the edited app to print its line',
      30_000,
    );
    const tail = await warren(['ws', 'logs', 'other2', '--tail', '50', ...conn()]);
    expect(tail.code).toBe(0);
    expect(tail.out).toContain('app  | first-42\n');
    expect(tail.out).toContain('app! | oops-first\n');
    const json = await warren(['ws', 'logs', 'other2', '--tail', '1', '--json', ...conn()]);
    expect(json.out.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(json.out)).toMatchObject({ source: 'app' });

    const f = Bun.spawn([process.execPath, CLI, 'ws', 'logs', 'other2', '-f', '--tail', '0', ...conn()], {
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...process.env, WARREN_CONFIG: join(up.dataDir, 'no-login.json') },
    });
    try {
      const reader = f.stdout.getReader();
      const errors = f.stderr.getReader();
      let said = '';
      // Follow first, then change: with --tail 0 a line written before the follower is attached is not its to see.
      while (!said.includes('following')) {
        const { value, done } = await errors.read();
        if (done) throw new Error(`logs -f exited before following: ${said}`);
        said += new TextDecoder().decode(value);
      }
      let seen = '';
      // A restart of the app (this edit) writes a new line, which reaches the follower without asking again.
      const edited = warren(['ws', 'edit', 'other2', '--app-command', app('second'), ...conn()]);
      while (!seen.includes('second-42')) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`logs -f exited: ${said}`);
        seen += new TextDecoder().decode(value);
      }
      expect((await edited).code).toBe(0);
      // --tail 0: nothing of the past, only what came after.
      expect(seen).not.toContain('first-42');
    } finally {
      f.kill('SIGTERM');
      await f.exited;
    }
  }, 60_000);
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
