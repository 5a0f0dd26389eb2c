// Load generators for the benchmarks: wrk (Debian package) when installed, else a bounded keep-alive client in Bun.

/** Latency percentiles in ms and throughput of one run. */
export interface LoadResult {
  p50: number;
  p99: number;
  rps: number;
  errors: number;
  tool: 'wrk' | 'bun';
}

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  durationSec: number;
}

/** Runs the load with wrk if it is installed, otherwise with the Bun client. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  if (Bun.which('wrk')) return runWrk(o);
  return runBunLoad(o);
}

async function runWrk(o: LoadOptions): Promise<LoadResult> {
  const args = ['wrk', '-t1', `-c${o.connections}`, `-d${o.durationSec}s`, '--latency'];
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(o.url);
  const proc = Bun.spawn(args, { stdout: 'pipe', stderr: 'pipe' });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`wrk failed: ${await new Response(proc.stderr).text()}`);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`no ${p}% in wrk output:\n${out}`);
    const n = Number(m[1]);
    return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
  };
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { p50: pct('50'), p99: pct('99'), rps, errors, tool: 'wrk' };
}

/** N keep-alive connections, each sending the next request when the previous response is complete. */
async function runBunLoad(o: LoadOptions): Promise<LoadResult> {
  const u = new URL(o.url);
  let head = `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n`;
  for (const [k, v] of Object.entries(o.headers ?? {})) head += `${k}: ${v}\r\n`;
  const request = new TextEncoder().encode(`${head}\r\n`);
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + o.durationSec * 1000;
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      let buf = '';
      let sentAt = 0;
      let done: () => void = () => {};
      const socket = await Bun.connect({
        hostname: u.hostname,
        port: Number(u.port),
        socket: {
          data(_s, chunk) {
            buf += chunk.toString('latin1');
            const complete = responseLength(buf);
            if (complete === undefined) return;
            if (!buf.startsWith('HTTP/1.1 200')) errors++;
            buf = buf.slice(complete);
            latencies.push(performance.now() - sentAt);
            done();
          },
        },
      });
      while (performance.now() < end) {
        await new Promise<void>((resolve) => {
          done = resolve;
          sentAt = performance.now();
          socket.write(request);
        });
      }
      socket.end();
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), rps: latencies.length / o.durationSec, errors, tool: 'bun' };
}

/** Bytes of the first complete response in `buf` (Content-Length or chunked), or undefined if incomplete. */
function responseLength(buf: string): number | undefined {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = buf.slice(0, headEnd).toLowerCase();
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (cl) {
    const total = headEnd + 4 + Number(cl[1]);
    return buf.length >= total ? total : undefined;
  }
  if (head.includes('transfer-encoding: chunked')) {
    const term = buf.indexOf('\r\n0\r\n\r\n', headEnd);
    return term < 0 ? undefined : term + 7;
  }
  return headEnd + 4;
}

/** WebSocket echo: N clients, each sending the next message when the echo of the previous one arrived. */
export async function runWebSocketEcho(o: {
  url: string;
  connections: number;
  durationSec: number;
}): Promise<{ messagesPerSec: number }> {
  let count = 0;
  const end = performance.now() + o.durationSec * 1000;
  const payload = 'x'.repeat(64);
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      const ws = new WebSocket(o.url);
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error(`cannot open ${o.url.replace(/token=[^&]+/, 'token=…')}`));
      });
      await new Promise<void>((resolve) => {
        ws.onmessage = () => {
          count++;
          if (performance.now() < end) ws.send(payload);
          else resolve();
        };
        ws.send(payload);
      });
      ws.close();
    }),
  );
  return { messagesPerSec: count / o.durationSec };
}
