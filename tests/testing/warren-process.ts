// `warren` child processes of the cross-process tests and the benchmarks: spawning the CLI and reading its ready line.
import { resolve } from 'node:path';
import type { Subprocess } from 'bun';

/** The CLI's entry; a child runs it with this bun. */
export const WARREN_CLI = resolve(import.meta.dir, '../../cli/main.ts');

/** What `warren node join` prints once it serves: `node ready {"nodeId":…,"url":…}`. */
export const NODE_READY = /node ready (\{.*\})/;
/** What `warren control` prints once it serves: one JSON line `{"ready":true,"url":…}`. */
export const CONTROL_READY = /^(\{"ready".*\})$/m;

type Stderr = 'pipe' | 'inherit' | 'ignore';

export interface WarrenSpawnOptions<E extends Stderr = 'pipe'> {
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Where the child's stderr goes (default piped, for failure messages). */
  stderr?: E;
  /** A prefix, e.g. `['ip', 'netns', 'exec', 'ns-a']`. */
  wrap?: string[];
  cwd?: string;
}

/** Spawns `warren <args>` with stdout piped (for readReadyLine) and stdin closed. */
export function spawnWarrenCli<E extends Stderr = 'pipe'>(
  args: string[],
  o: WarrenSpawnOptions<E> = {},
): Subprocess<'ignore', 'pipe', E> {
  return Bun.spawn([...(o.wrap ?? []), process.execPath, WARREN_CLI, ...args], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: (o.stderr ?? 'pipe') as E,
    env: { ...process.env, ...o.env },
    ...(o.cwd ? { cwd: o.cwd } : {}),
  });
}

/** The ready line's JSON and the output the process printed up to it. */
export interface ReadyLine<T> {
  ready: T;
  out: string;
}

/**
 * Reads `proc`'s stdout until `pattern` matches and parses the match's first group as JSON. If the process exits
 * first or `timeoutMs` passes, kills it and throws with its output (and its stderr when piped and unread).
 */
export async function readReadyLine<T>(
  proc: Subprocess<'ignore' | 'pipe' | 'inherit', 'pipe', Stderr>,
  pattern: RegExp,
  what: string,
  timeoutMs = 20_000,
): Promise<ReadyLine<T>> {
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + timeoutMs;
  let out = '';
  while (Date.now() < deadline) {
    // A read that never returns (a child that hangs silently) must not outlive the deadline.
    const next = await Promise.race([
      reader.read(),
      Bun.sleep(Math.max(1, deadline - Date.now())).then(() => undefined),
    ]);
    if (!next || next.done) break;
    out += decoder.decode(next.value);
    const m = pattern.exec(out);
    if (m) {
      reader.releaseLock();
      return { ready: JSON.parse(m[1] as string) as T, out };
    }
  }
  proc.kill('SIGKILL');
  const stderr =
    proc.stderr instanceof ReadableStream && !proc.stderr.locked
      ? await new Response(proc.stderr).text()
      : '';
  throw new Error(`${what} did not get ready within ${timeoutMs} ms: ${out}\n${stderr}`);
}

/** A started `warren` process and its ready line. */
export interface StartedWarren<T, E extends Stderr> extends ReadyLine<T> {
  proc: Subprocess<'ignore', 'pipe', E>;
}

/** Spawns `warren <args>` and resolves once it prints `pattern` (e.g. NODE_READY, CONTROL_READY). */
export async function startWarren<T, E extends Stderr = 'pipe'>(
  args: string[],
  pattern: RegExp,
  what: string,
  o: WarrenSpawnOptions<E> & { timeoutMs?: number } = {},
): Promise<StartedWarren<T, E>> {
  const proc = spawnWarrenCli(args, o);
  return { proc, ...(await readReadyLine<T>(proc, pattern, what, o.timeoutMs)) };
}
