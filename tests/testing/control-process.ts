// `warren control` as a real process for cross-process tests: started on port 0, ready when it prints its URL.
import { resolve } from 'node:path';

const CLI = resolve(import.meta.dir, '../../cli/main.ts');

export interface ControlProcess {
  proc: ReturnType<typeof Bun.spawn>;
  url: string;
  /** Its log (stderr) so far, one JSON line per event. */
  log(): string;
}

/**
 * Starts `warren control --port 0 --data <dataDir>` with `env` added to this process's environment, and resolves
 * once it printed the ready line (deadline 15 s). Its stderr is drained into `log()`, so it never blocks on it.
 */
export async function startControlProcess(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<ControlProcess> {
  const proc = Bun.spawn([process.execPath, CLI, 'control', '--port', '0', '--data', dataDir], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, ...env },
  });
  let stderr = '';
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) stderr += decoder.decode(chunk);
  })();
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value);
    const line = buffered.split('\n').find((l) => l.startsWith('{"ready"'));
    if (line) {
      // Nothing else is printed on stdout; drained anyway so a stray line cannot fill the pipe.
      reader.releaseLock();
      void proc.stdout.pipeTo(new WritableStream()).catch(() => {});
      return { proc, url: (JSON.parse(line) as { url: string }).url, log: () => stderr };
    }
  }
  proc.kill('SIGKILL');
  throw new Error(`warren control did not get ready: ${buffered}${stderr}`);
}
