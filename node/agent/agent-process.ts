// One agent process: started through the workspace's launcher (its sandbox), its stdout fed to a JSON-RPC
// connection, killed with everything it started so no helper outlives it.
import type { Subprocess } from 'bun';
import type { LaunchedProcess, LogWriter, SpawnRequest } from '../workspaces/index.ts';
import { JsonRpcConnection, type JsonRpcHandlers } from './json-rpc-connection.ts';

export interface AgentCommand {
  /** argv of the agent (no shell); run `['sh', '-c', line]` for a command line. */
  argv: string[];
  /** The workspace directory as the agent sees it (ACP `session/new` names it). */
  cwd: string;
  /** Variables on top of what the launcher gives every process of the workspace. */
  env: Record<string, string>;
  /** The workspace's launcher (Runtime.spawn): the agent runs in the same sandbox as the app and terminals. */
  launch(request: SpawnRequest): LaunchedProcess;
  /** Where the agent's output is kept too (the workspace's logs); each run ends its lines. */
  output?: { stdout: LogWriter; stderr: LogWriter };
}

/** How much of the agent's stderr is kept in memory for diagnostics (the workspace's logs keep it all). */
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
  const launched = command.launch({
    argv: command.argv,
    env: command.env,
    purpose: 'agent',
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const proc = launched.proc as Subprocess<'pipe', 'pipe', 'pipe'>;
  const rpc = new JsonRpcConnection((line) => {
    proc.stdin.write(line);
    proc.stdin.flush();
  }, handlers);
  let tail = '';
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    sink: (text: string) => void,
    log: LogWriter | undefined,
  ) => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        log?.write(chunk);
        sink(decoder.decode(chunk, { stream: true }));
      }
    } catch {
      // The stream breaks when the process dies; the exit handler reports that.
    }
    log?.end();
  };
  const stdoutDone = pump(proc.stdout, (t) => rpc.feed(t), command.output?.stdout);
  void pump(
    proc.stderr,
    (t) => {
      tail = (tail + t).slice(-STDERR_TAIL);
    },
    command.output?.stderr,
  );
  const signal = (sig: 'SIGTERM' | 'SIGKILL') => launched.signal(sig);
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
