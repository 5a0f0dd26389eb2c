// `bun run bench terminal`: keystroke echo round trips through a node's terminal (direct and forwarded by another
// node over the mesh), and how long a reattach takes to replay 10,000 lines of scrollback.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestIngress } from '../../node/testing/index.ts';
import { startTestIssuer } from '../../node/testing/index.ts';
import { CHROMIUM, launchUiBrowser } from '../../tests/testing/index.ts';
import { forwardingIngress } from './_bench-ingress.ts';
import { type BenchNode, startBenchNode } from './_bench-node.ts';

const ROOT = resolve(import.meta.dir, '../..');

interface Options {
  /** Keystrokes per target (half letters, half backspaces that erase them). */
  keystrokes: number;
  /** Reattaches timed per target; the median and the worst are shown. */
  replays: number;
  lines: number;
}

function parseArgs(args: string[]): Options {
  const o: Options = { keystrokes: 1000, replays: 15, lines: 10_000 };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--keystrokes') o.keystrokes = Number(args[++i]);
    else if (args[i] === '--replays') o.replays = Number(args[++i]);
    else if (args[i] === '--lines') o.lines = Number(args[++i]);
  }
  return o;
}

/** 20 ms between keys: faster than anyone types (the run stays short), long enough for the processes to go idle. */
const TYPING_GAP_MS = 20;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** A terminal socket: what arrived, the session it named, and a way to wait for output. */
interface Socket {
  ws: WebSocket;
  out: () => string;
  bytes: () => number;
  /** The binary frames received, while they total under 4 MiB (the replay measured in the browser). */
  frames: Uint8Array[];
  session: () => { id: string; replayBytes: number } | undefined;
  /** Resolves when `test` holds for the output (checked on each frame). */
  until(test: () => boolean): Promise<void>;
}

function openSocket(url: string): Promise<Socket> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  let out = '';
  let bytes = 0;
  let session: { id: string; replayBytes: number } | undefined;
  let waiter: { test: () => boolean; resolve: () => void } | undefined;
  const frames: Uint8Array[] = [];
  const decoder = new TextDecoder();
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') session = JSON.parse(e.data);
    else {
      const b = new Uint8Array(e.data as ArrayBuffer);
      if (bytes + b.length < 4 << 20) frames.push(b);
      bytes += b.length;
      out += decoder.decode(b, { stream: true });
      // Only the tail matters to the waits below; keep memory flat over thousands of keystrokes.
      if (out.length > 1 << 20) out = out.slice(-4096);
    }
    if (waiter?.test()) {
      const w = waiter;
      waiter = undefined;
      w.resolve();
    }
  };
  const socket: Socket = {
    ws,
    out: () => out,
    bytes: () => bytes,
    frames,
    session: () => session,
    until(test) {
      if (test()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `terminal output timed out; last output: ${JSON.stringify(out.slice(-200))} bytes ${bytes} session ${JSON.stringify(session)} state ${ws.readyState}`,
              ),
            ),
          30_000,
        );
        waiter = {
          test,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    },
  };
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(socket);
    ws.onerror = () => reject(new Error(`terminal socket refused: ${url}`));
  });
}

/**
 * Echo round trips at the shell's prompt: a letter (readline echoes it), then a backspace (it echoes `\b\x1b[K`),
 * each timed from the send to the first frame that holds its echo. `gapMs` between keystrokes: 0 is back-to-back
 * (everything stays hot), a typist's pace lets the processes sleep between keys as they do in real use.
 */
async function keystrokeEcho(
  base: string,
  token: string,
  keystrokes: number,
  gapMs: number,
): Promise<number[]> {
  const s = await openSocket(`${base}?token=${token}`);
  await s.until(() => /[$#] $/.test(s.out()));
  const samples: number[] = [];
  for (let i = 0; i < keystrokes / 2; i++) {
    for (const [key, echo] of [
      ['k', 'k'],
      ['\x7f', '\b'],
    ] as const) {
      const before = s.bytes();
      const seen = s.out().length;
      const t0 = performance.now();
      s.ws.send(key);
      await s.until(() => s.bytes() > before && s.out().slice(seen).includes(echo));
      samples.push(performance.now() - t0);
      if (gapMs > 0) await new Promise((res) => setTimeout(res, gapMs));
    }
  }
  s.ws.send(JSON.stringify({ type: 'close' }));
  s.ws.close();
  return samples;
}

/** Fills a session with `lines` lines, then times reattaches: socket open → the whole replay received. */
async function replay(
  base: string,
  token: string,
  o: Options,
): Promise<{ ms: number[]; bytes: number; data: Uint8Array }> {
  const s = await openSocket(`${base}?token=${token}`);
  await s.until(() => /[$#] $/.test(s.out()));
  s.ws.send(`seq -f 'scrollback line %g of the replay benchmark' ${o.lines}; echo filled-$((1+1))\n`);
  await s.until(() => s.out().includes('filled-2'));
  const id = s.session()!.id;
  s.ws.close();
  const ms: number[] = [];
  let bytes = 0;
  let data: Uint8Array = new Uint8Array();
  for (let i = 0; i < o.replays; i++) {
    const t0 = performance.now();
    const r = await openSocket(`${base}?token=${token}&session=${id}`);
    await r.until(() => r.session() !== undefined && r.bytes() >= r.session()!.replayBytes);
    ms.push(performance.now() - t0);
    bytes = r.session()!.replayBytes;
    data = Buffer.concat(r.frames).subarray(0, bytes);
    r.ws.close();
    await new Promise((res) => setTimeout(res, 20));
  }
  const end = await openSocket(`${base}?token=${token}&session=${id}`);
  end.ws.send(JSON.stringify({ type: 'close' }));
  return { ms, bytes, data };
}

/**
 * How long xterm.js in Chromium takes to parse and paint a replay (what a reloaded tab does with it), in ms per
 * run; undefined when Chromium is not installed.
 */
async function renderInBrowser(data: Uint8Array, runs: number): Promise<number[] | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  const built = await Bun.build({ entrypoints: [join(import.meta.dir, '_xterm-page.ts')], minify: true });
  if (!built.success) throw new Error(`xterm bundle failed: ${built.logs.join('\n')}`);
  const script = await built.outputs[0]!.text();
  const ui = await launchUiBrowser();
  try {
    const { context, page } = await ui.page();
    await page.setContent('<!doctype html><html><head></head><body></body></html>');
    await page.addStyleTag({ path: join(ROOT, 'node_modules/@xterm/xterm/css/xterm.css') });
    await page.addScriptTag({ content: script, type: 'module' });
    await page.waitForFunction(() => typeof window.renderReplay === 'function');
    const base64 = Buffer.from(data).toString('base64');
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) ms.push(await page.evaluate((b) => window.renderReplay(b), base64));
    await context.close();
    return ms;
  } finally {
    await ui.close();
  }
}

/** Runs the terminal benchmark and prints its table. */
export default async function terminalBench(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const issuer = await startTestIssuer({ heartbeatIntervalMs: 60_000 });
  let node: BenchNode | undefined;
  let ingress: TestIngress | undefined;
  try {
    // The node's default runtime: shells run in the workspace's sandbox, as users get them.
    node = await startBenchNode(issuer, 'bench-terminal');
    ingress = await forwardingIngress(issuer, node);
    const token = await issuer.mint({
      workspaceId: node.workspaceId,
      userId: node.ownerId,
      scopes: ['terminal'],
      ttlSec: 3600,
    });
    const path = `/w/${node.workspaceId}/_terminal`;
    const targets: [string, string][] = [
      ['direct to the hosting node', `${node.url.replace('http', 'ws')}${path}`],
      ['via another node (mesh forward)', `${ingress.url.replace('http', 'ws')}${path}`],
    ];
    const rows: string[] = [];
    let replayed: Uint8Array = new Uint8Array();
    for (const [name, base] of targets) {
      await keystrokeEcho(base, token, 100, 0); // warm-up
      const hot = await keystrokeEcho(base, token, o.keystrokes, 0);
      const typed = await keystrokeEcho(base, token, o.keystrokes, TYPING_GAP_MS);
      const r = await replay(base, token, o);
      replayed = r.data;
      const n = (x: number) => x.toFixed(2);
      rows.push(
        `| ${name} | ${n(percentile(typed, 50))} | ${n(percentile(typed, 99))} | ${n(percentile(hot, 50))} | ${n(percentile(hot, 99))} | ${n(percentile(r.ms, 50))} | ${n(Math.max(...r.ms))} | ${(r.bytes / 1024).toFixed(0)} |`,
      );
    }
    console.log(
      `Loopback; a login bash in the workspace's sandbox; ${o.keystrokes} keystrokes per column and target (a letter, then a backspace), typed ${TYPING_GAP_MS} ms apart or back-to-back; replay of ${o.lines.toLocaleString('en-US')} lines, ${o.replays} reattaches (socket open → last replay byte).\n`,
    );
    console.log(
      '| path | echo p50 ms (typed) | echo p99 ms (typed) | echo p50 ms (back-to-back) | echo p99 ms (back-to-back) | replay p50 ms | replay max ms | replay KiB |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(r);
    const render = await renderInBrowser(replayed, 5);
    console.log(
      render
        ? `\nThe same replay (${(replayed.length / 1024).toFixed(0)} KiB) in xterm.js in headless Chromium (120×36, 10,000 lines of scrollback), parsed and painted: p50 ${percentile(render, 50).toFixed(1)} ms, max ${Math.max(...render).toFixed(1)} ms over ${render.length} runs.`
        : `\nxterm.js render skipped: no Chromium at ${CHROMIUM}.`,
    );
  } finally {
    ingress?.stop();
    await node?.stop();
    await issuer.stop();
  }
}
