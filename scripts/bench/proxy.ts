// `bun run bench proxy`: the same tiny upstream direct, through a node's proxy with a token, and through nginx;
// HTTP latency and throughput, WebSocket echo rate, and token verification rates, as one markdown table.
import { readFileSync } from 'node:fs';
import { newId } from '../../contract/index.ts';
import { startTestIssuer, type TestIngress } from '../../node/testing/index.ts';
import { forwardingIngress, issuerVerifier } from './_bench-ingress.ts';
import { type BenchNode, startBenchNode } from './_bench-node.ts';
import { type LoadResult, runLoad, runWebSocketEcho } from './_load-generator.ts';
import { startNginx } from './_nginx.ts';

interface Options {
  durationSec: number;
  connections: number;
  /** Targets are measured in turn, `rounds` times, and each figure is the median: the machine is shared and noisy. */
  rounds: number;
}

function parseArgs(args: string[]): Options {
  const o: Options = { durationSec: 4, connections: 32, rounds: 3 };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--duration') o.durationSec = Number(args[++i]);
    else if (args[i] === '--connections') o.connections = Number(args[++i]);
    else if (args[i] === '--rounds') o.rounds = Number(args[++i]);
  }
  return o;
}

/** CPU time (user + system) the processes have used so far, in ms, from /proc. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch {}
  }
  return (ticks * 1000) / CLOCK_TICKS;
}
/** USER_HZ: /proc reports CPU time in these ticks on Linux. */
const CLOCK_TICKS = 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Runs the proxy benchmark and prints its table. */
export default async function proxyBench(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const issuer = await startTestIssuer({ heartbeatIntervalMs: 60_000 });
  let node: BenchNode | undefined;
  let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;
  let ingress: TestIngress | undefined;
  type Target = [string, string, Record<string, string>, () => number[]];
  try {
    // The process runtime: the direct and nginx rows reach the same app on 127.0.0.1 (`bench sandbox` measures
    // the proxy into a network namespace).
    node = await startBenchNode(issuer, 'bench', ['--runtime', 'process']);
    const { workspaceUrl: warrenUrl, auth, token, port } = node;
    const nodePid = node.pid;
    nginx = await startNginx(port).catch((e: Error) => {
      console.log(`nginx row skipped: ${e.message}\n`);
      return undefined;
    });
    const ng = nginx;
    // An ingress that hosts nothing and whose registry routes every workspace to the bench node: the mesh hop.
    ingress = await forwardingIngress(issuer, node);
    const workspacePath = new URL(warrenUrl).pathname;
    // The proxy's own processes, whose CPU time per request is the figure least disturbed by a busy machine.
    const targets: Target[] = [
      ['direct', `http://127.0.0.1:${port}/`, {}, () => []],
      ['warren (token checked)', warrenUrl, auth, () => [nodePid]],
      [
        'warren forwarded (ingress → host)',
        `${ingress.url}${workspacePath}`,
        auth,
        () => [nodePid, process.pid],
      ],
      ...(ng ? [['nginx', `http://127.0.0.1:${ng.port}/`, {}, () => ng.workerPids()] as Target] : []),
    ];
    const runs: Record<string, LoadResult[]> = {};
    const cpu: Record<string, number[]> = {};
    for (const [, url, headers] of targets)
      await runLoad({ url, headers, connections: o.connections, durationSec: 1 }); // warm-up
    for (let round = 0; round < o.rounds; round++) {
      for (const [name, url, headers, pids] of targets) {
        const cpu0 = cpuMs(pids());
        const r = await runLoad({ url, headers, connections: o.connections, durationSec: o.durationSec });
        const used = cpuMs(pids()) - cpu0;
        const list = runs[name] ?? [];
        list.push(r);
        runs[name] = list;
        if (pids().length > 0) cpu[name] = [...(cpu[name] ?? []), (used * 1000) / (r.rps * o.durationSec)];
      }
    }
    const http: Record<string, LoadResult> = {};
    for (const [name, list] of Object.entries(runs)) {
      http[name] = {
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
        rps: median(list.map((r) => r.rps)),
        errors: list.reduce((a, r) => a + r.errors, 0),
        tool: list[0]!.tool,
      };
    }
    const wsRates: Record<string, number> = {};
    const wsTargets: [string, string][] = [
      ['direct', `ws://127.0.0.1:${port}/ws`],
      ['warren (token checked)', `${warrenUrl.replace('http', 'ws')}ws?token=${token}`],
      ...(ng ? [['nginx', `ws://127.0.0.1:${ng.port}/ws`] as [string, string]] : []),
    ];
    for (const [name, url] of wsTargets) {
      wsRates[name] = (
        await runWebSocketEcho({ url, connections: 8, durationSec: Math.min(3, o.durationSec) })
      ).messagesPerSec;
    }
    const tokens = await tokenRates(issuer);
    const cpuPerRequest: Record<string, number> = {};
    for (const [name, list] of Object.entries(cpu)) cpuPerRequest[name] = median(list);
    printTable(o, http, wsRates, tokens, cpuPerRequest);
  } finally {
    await nginx?.stop();
    ingress?.stop();
    await node?.stop();
    await issuer.stop();
  }
}

/** Verifications per second: full EdDSA checks of distinct tokens, and cache hits. */
async function tokenRates(issuer: Awaited<ReturnType<typeof startTestIssuer>>) {
  const workspaceId = newId('workspace');
  const userId = newId('user');
  const verifier = await issuerVerifier(issuer);
  const tokens: string[] = [];
  for (let i = 0; i < 3000; i++) tokens.push(await issuer.mint({ workspaceId, userId, scopes: ['http'] }));
  let t0 = performance.now();
  for (const t of tokens) await verifier.verifyUncached(t);
  const uncached = tokens.length / ((performance.now() - t0) / 1000);
  const rounds = 1_000_000;
  t0 = performance.now();
  let hits = 0;
  for (let i = 0; i < rounds; i++) if (verifier.lookup(tokens[i % tokens.length]!)) hits++;
  const cached = hits / ((performance.now() - t0) / 1000);
  return { uncached, cached };
}

function printTable(
  o: Options,
  http: Record<string, LoadResult>,
  ws: Record<string, number>,
  tokens: { uncached: number; cached: number },
  cpuPerRequest: Record<string, number>,
): void {
  const n = (x: number, d = 0) =>
    x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const tool = Object.values(http)[0]?.tool ?? 'bun';
  console.log(
    `Loopback, ${o.connections} keep-alive connections, ${o.durationSec} s per target × ${o.rounds} interleaved rounds (medians), load by ${tool}; nginx: 1 worker, upstream keepalive.\n`,
  );
  console.log('| target | p50 ms | p99 ms | req/s | errors | proxy CPU µs/request | WebSocket echo msg/s |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [name, r] of Object.entries(http)) {
    const c = cpuPerRequest[name];
    const cpuCell = c === undefined ? '–' : n(c, 1);
    // Rows without a WebSocket target (the forwarded one: `bench terminal` measures that path) say so.
    const wsRate = ws[name];
    const wsCell = wsRate === undefined ? '–' : n(wsRate);
    console.log(
      `| ${name} | ${n(r.p50, 3)} | ${n(r.p99, 3)} | ${n(r.rps)} | ${r.errors} | ${cpuCell} | ${wsCell} |`,
    );
  }
  const w = http['warren (token checked)'];
  const x = http.nginx;
  if (w && x) {
    console.log(
      `\nwarren/nginx: p50 ${n(w.p50 / x.p50, 2)}× (goal ≤ 1.2×), throughput ${n((100 * w.rps) / x.rps)} % (goal ≥ 80 %)`,
    );
  }
  const f = http['warren forwarded (ingress → host)'];
  if (w && f) {
    console.log(
      `warren forwarded/local: p50 ${n(f.p50 / w.p50, 2)}× (goal ≤ 1.5×), throughput ${n((100 * f.rps) / w.rps)} % (goal ≥ 70 %)`,
    );
  }
  console.log(`\n| token verification | per second |\n|---|---:|`);
  console.log(`| uncached (EdDSA verify + claims) | ${n(tokens.uncached)} |`);
  console.log(`| cached (Map lookup until exp) | ${n(tokens.cached)} |`);
}
