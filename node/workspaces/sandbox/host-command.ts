// Runs the host programs the sandbox is built with (ip, iptables, chown) and turns failures into SandboxError.

/** A sandbox could not be set up or torn down; `code` is stable for callers and tests. */
export class SandboxError extends Error {
  constructor(
    readonly code: 'host_command_failed' | 'no_free_slot' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

export interface HostCommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` with `input` on stdin; resolves with its exit code and output (never throws on a non-zero exit). */
export async function runHost(argv: string[], input?: string): Promise<HostCommandResult> {
  const proc = Bun.spawn(argv, {
    stdin: input === undefined ? 'ignore' : new TextEncoder().encode(input),
    stdout: 'pipe',
    stderr: 'pipe',
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** Like runHost, but a non-zero exit is a SandboxError naming the program and its message. */
export async function mustRunHost(argv: string[], input?: string): Promise<string> {
  const r = await runHost(argv, input);
  if (r.code !== 0) {
    const what = argv.slice(0, 3).join(' ');
    throw new SandboxError(
      'host_command_failed',
      `${what} failed (${r.code}): ${r.stderr.trim().slice(0, 300)}`,
    );
  }
  return r.stdout;
}

/** True when `program` is on the PATH runHost uses. */
export function hasProgram(program: string): boolean {
  return (
    Bun.which(program, { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }) !== null
  );
}
