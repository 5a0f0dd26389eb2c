// A whole Warren for the system UI tests: `warren up --port 0 --nodes N` on a temp data dir, as a process.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { eventually } from '../../control/testing/index.ts';

const MAIN = resolve(import.meta.dir, '..', '..', 'cli', 'main.ts');

export interface WarrenUp {
  controlUrl: string;
  adminToken: string;
  nodes: { id: string; url: string }[];
  /** The one-time sign-in link `warren up` printed. */
  loginLink: string;
  dataDir: string;
  /** Everything `warren up` printed, for failure messages. */
  output: string[];
  stop(): Promise<void>;
}

/** Starts `warren up` and resolves once it wrote up.json and printed the sign-in link. */
export async function startWarrenUp(nodes = 1): Promise<WarrenUp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-up-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [MAIN, 'up', '--port', '0', '--data', dataDir, '--nodes', String(nodes)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  let loginLink: string | undefined;
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      const m = /(https?:\/\/\S+\/auth\/login\?token=\S+)/.exec(line);
      if (m?.[1]) loginLink = m[1];
    });
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const upFile = join(dataDir, 'up.json');
    await eventually(
      () => {
        if (child.exitCode !== null) throw new Error(`warren up exited with ${child.exitCode}`);
        return existsSync(upFile) && loginLink !== undefined;
      },
      'warren up to be ready',
      45_000,
    );
    const up = JSON.parse(readFileSync(upFile, 'utf8')) as Omit<
      WarrenUp,
      'loginLink' | 'dataDir' | 'output' | 'stop'
    >;
    return { ...up, loginLink: loginLink!, dataDir, output, stop };
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${output.join('\n')}`);
  }
}
