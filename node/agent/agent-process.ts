// One agent process: spawned in the workspace directory in its own process group, its stdout fed to a
// JSON-RPC connection, killed as a group so no helper it started outlives it.
import type { Subprocess } from 'bun';
import { JsonRpcConnection, type JsonRpcHandlers } from './json-rpc-connection.ts';

export interface AgentCommand {
  /** argv of the agent (no shell); run `['sh', '-c', line]` for a command line. */
  argv: string[];
  /** The workspace directory; the agent runs there. */
  cwd: string;
  /** The agent's whole environment (the node's own is not inherited, so its secrets stay out). */
  env: Record<string, string>;
}

/** How much of the agent's stderr is kept for diagnostics (never logged, never sent to clients). */
const STDERR_TAIL = 8 * 1024;

export interface AgentProcess {
  readonly pid: number;
  readonly rpc: JsonRpcConnection;
  /** Resolves with the exit code (or signal number + 128) once the process is gone. */
  readonly exited: Promise<number>;
  /** The last few KiB the agent wrote to stderr. */
  stderrTail(): string;
  /** Sends `signal` to the whole process group. */
  signal(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/** Spawns the agent; throws when the command cannot be started (e.g. not found). */
export function spawnAgentProcess(command: AgentCommand, handlers: JsonRpcHandlers): AgentProcess {
  const proc: Subprocess<'pipe', 'pipe', 'pipe'> = Bun.spawn(command.argv, {
    cwd: command.cwd,
    env: command.env,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    // Own process group: a kill reaches the agent's children too.
    detached: true,
  });
  const rpc = new JsonRpcConnection((line) => {
    proc.stdin.write(line);
    proc.stdin.flush();
  }, handlers);
  let tail = '';
  const pump = async (stream: ReadableStream<Uint8Array>, sink: (text: string) => void) => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
    } catch {
      // The stream breaks when the process dies; the exit handler reports that.
    }
  };
  const stdoutDone = pump(proc.stdout, (t) => rpc.feed(t));
  void pump(proc.stderr, (t) => {
    tail = (tail + t).slice(-STDERR_TAIL);
  });
  const signal = (sig: 'SIGTERM' | 'SIGKILL') => {
    try {
      process.kill(-proc.pid, sig);
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  const exited = proc.exited.then(async (code) => {
    // Whatever the agent left behind in its group goes with it.
    signal('SIGKILL');
    // Read what it wrote before dying, unless an escaped child still holds the pipe open.
    await Promise.race([stdoutDone, Bun.sleep(1000)]);
    rpc.close('agent exited');
    return code;
  });
  return { pid: proc.pid, rpc, exited, stderrTail: () => tail, signal };
}
