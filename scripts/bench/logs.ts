// `bun run bench logs`: what keeping workspace output costs — lines per second through a writer into rotated
// files, and the time to answer `?tail=200` and `?tail=5000` from full files (1 MiB × 2 per source).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkspaceLogs, defaultWorkspaceLogsConfig } from '../../node/index.ts';

/** Lines of a typical dev server (~80 bytes), written in chunks of 64 lines as a pipe delivers them. */
const LINE = 'GET /api/items?page=2 200 12.3 ms - 1532 bytes [request id 7f3a9c]';
const CHUNK = `${`${LINE}\n`.repeat(64)}`;

export default async function bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-bench-logs-'));
  try {
    const logs = createWorkspaceLogs(dir, defaultWorkspaceLogsConfig());
    const out = logs.writer('w', 'app', 'stdout');
    const chunks = 3000;
    const t0 = performance.now();
    for (let i = 0; i < chunks; i++) out.write(CHUNK);
    const writeMs = performance.now() - t0;
    const lines = chunks * 64;
    const agent = logs.writer('w', 'agent', 'stderr');
    for (let i = 0; i < 1000; i++) agent.write(CHUNK);
    const tail = (n: number) => {
      const runs: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        logs.tail('w', n);
        runs.push(performance.now() - t);
      }
      runs.sort((a, b) => a - b);
      return runs[Math.floor(runs.length / 2)]!;
    };
    console.log('| figure | value |');
    console.log('| --- | --- |');
    console.log(
      `| lines kept per second (64-line chunks, ${LINE.length + 1} B lines) | ${Math.round(lines / (writeMs / 1000)).toLocaleString('en')} |`,
    );
    console.log(
      `| MiB of output per second | ${((lines * (LINE.length + 1)) / 2 ** 20 / (writeMs / 1000)).toFixed(1)} |`,
    );
    console.log(`| \`?tail=200\` from full files, p50 | ${tail(200).toFixed(1)} ms |`);
    console.log(`| \`?tail=5000\` from full files, p50 | ${tail(5000).toFixed(1)} ms |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
