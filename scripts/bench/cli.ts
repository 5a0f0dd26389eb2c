// `bun run bench cli`: `warren ws ssh` keystroke round trip and `warren ws port-forward` throughput against a
// direct loopback connection to the same echo server, on a real `warren up` with one sandboxed workspace.
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { ECHO_APP, eventually } from '../../node/testing/index.ts';
import { createControlClient } from '../../openapi/client/index.ts';
import { startWarrenUp } from '../../tests/testing/index.ts';
import type { Bench } from './main.ts';

const CLI = resolve(import.meta.dir, '../../cli/main.ts');
const TCP_ECHO = resolve(import.meta.dir, '../../tests/fixtures/tcp-echo.ts');
const ECHO_PORT = 7022;

const bench: Bench = async (args) => {
  const keystrokes = Number(args[args.indexOf('--keys') + 1]) || 200;
  const megabytes = Number(args[args.indexOf('--mb') + 1]) || 50;
  const up = await startWarrenUp(1);
  const env = { ...process.env, WARREN_CONFIG: join(up.dataDir, 'none.json') };
  const conn = ['--url', up.controlUrl, '--token', up.adminToken];
  const direct = Bun.spawn([process.execPath, TCP_ECHO, '0'], { stdout: 'ignore' });
  try {
    const client = createControlClient(up.controlUrl, { token: up.adminToken });
    const project = (await client.POST('/api/v1/projects', { body: { name: 'bench' } })).data!;
    const ws = (
      await client.POST('/api/v1/workspaces', {
        body: {
          name: 'bench',
          projectId: project.id,
          appCommand: `${process.execPath} ${TCP_ECHO} ${ECHO_PORT} & exec ${process.execPath} ${ECHO_APP}`,
        },
      })
    ).data!;
    await eventually(
      async () =>
        (await client.GET('/api/v1/workspaces/{id}', { params: { path: { id: ws.id } } })).data?.status ===
        'running',
      'the workspace running',
      30_000,
    );
    const rtt = await keystrokeRoundTrips(['ws', 'ssh', ws.id, ...conn, '--', 'cat'], env, keystrokes);
    const sorted = [...rtt].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    console.log(`| warren ws ssh keystroke round trip (${rtt.length} keys) | ms |`);
    console.log('|---|---|');
    console.log(`| median | ${at(0.5).toFixed(2)} |`);
    console.log(`| p95 | ${at(0.95).toFixed(2)} |`);

    const pf = Bun.spawn([process.execPath, CLI, 'ws', 'port-forward', ws.id, `0:${ECHO_PORT}`, ...conn], {
      stdout: 'pipe',
      env,
    });
    const tunnelPort = Number(/:(\d+) ->/.exec(await firstLine(pf.stdout))![1]);
    const directPort = await listeningPort(direct.pid);
    const data = randomBytes(megabytes * 1024 * 1024);
    const viaDirect = await echoRate(directPort, data);
    const viaTunnel = await echoRate(tunnelPort, data);
    pf.kill('SIGTERM');
    console.log(`\n| ${megabytes} MB sent and echoed back, one run | MB/s each way |`);
    console.log('|---|---|');
    console.log(`| direct loopback connection to the echo server | ${viaDirect.toFixed(1)} |`);
    console.log(`| through warren ws port-forward (CLI → node → sandbox) | ${viaTunnel.toFixed(1)} |`);
    console.log(`| tunnel / direct | ${(viaTunnel / viaDirect).toFixed(3)} |`);
  } finally {
    direct.kill();
    await up.stop();
  }
};
export default bench;

/** Types one byte at a time into `warren …` and times until the remote echo of that byte comes back. */
async function keystrokeRoundTrips(args: string[], env: Record<string, string | undefined>, n: number) {
  const p = Bun.spawn([process.execPath, CLI, ...args], { stdin: 'pipe', stdout: 'pipe', env });
  const reader = p.stdout.getReader();
  let seen = '';
  const waitFor = async (s: string, times = 1) => {
    while (seen.split(s).length - 1 < times) {
      const { value, done } = await reader.read();
      if (done) throw new Error('ssh ended');
      seen += new TextDecoder().decode(value);
    }
    seen = '';
  };
  // A first line proves the terminal is up before timing starts: the PTY echoes it, then cat prints it.
  p.stdin.write('ready\n');
  p.stdin.flush();
  await waitFor('ready', 2);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    // Digits: none of them is in what came before, so only this key's echo can match.
    const key = String(i % 10);
    const t0 = performance.now();
    p.stdin.write(key);
    p.stdin.flush();
    await waitFor(key);
    times.push(performance.now() - t0);
  }
  p.kill('SIGTERM');
  return times;
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  let s = '';
  while (!s.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    s += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return s;
}

/** The port the direct echo server (started with port 0) listens on, from /proc. */
async function listeningPort(pid: number): Promise<number> {
  const inodes = new Set<string>();
  await eventually(
    async () => {
      const { readdirSync, readlinkSync } = await import('node:fs');
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const m = /socket:\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      }
      return inodes.size > 0;
    },
    'the echo server listening',
    10_000,
  );
  let port = 0;
  await eventually(
    async () => {
      for (const line of (await Bun.file('/proc/net/tcp').text()).split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f[3] === '0A' && inodes.has(f[9]!)) port = Number.parseInt(f[1]!.split(':')[1]!, 16);
      }
      return port > 0;
    },
    'the echo server port',
    10_000,
  );
  return port;
}

/** Sends `data` to the echo server at `port`, half-closes, and returns MB/s of the whole round (each way). */
function echoRate(port: number, data: Buffer): Promise<number> {
  return new Promise((done, fail) => {
    let got = 0;
    const t0 = performance.now();
    const s = tcpConnect({ host: '127.0.0.1', port }, () => s.end(data));
    s.on('data', (c: Buffer) => {
      got += c.length;
    });
    s.on('end', () => {
      if (got !== data.length) return fail(new Error(`echoed ${got} of ${data.length} bytes`));
      done(data.length / 1024 / 1024 / ((performance.now() - t0) / 1000));
    });
    s.on('error', fail);
  });
}
