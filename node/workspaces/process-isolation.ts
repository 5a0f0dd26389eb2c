// The `process` isolation: none. Each launch is its own process group in the workspace directory, as the node's user.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Isolation, LaunchedProcess, PreparedWorkspace, SpawnRequest } from './isolation.ts';
import { endGroup, signalGroup } from './process-group.ts';

/** Runs workspaces as plain processes; `runRoot` holds each workspace's socket folder. */
export function createProcessIsolation(runRoot: string): Isolation {
  const prepared = new Map<string, PreparedWorkspace>();
  return {
    kind: 'process',
    async prepare(workspaceId, dir) {
      const runDir = join(runRoot, workspaceId);
      mkdirSync(runDir, { recursive: true, mode: 0o700 });
      const p = { host: '127.0.0.1', home: dir, runDir, runInside: runDir };
      prepared.set(workspaceId, p);
      return p;
    },
    spawn(workspaceId, request) {
      const p = prepared.get(workspaceId);
      if (!p) throw new Error(`workspace ${workspaceId} is not prepared`);
      return spawnInGroup(request.argv, p.home, request);
    },
    pressure: () => undefined,
    async release(workspaceId) {
      prepared.delete(workspaceId);
    },
    async reconcile() {},
  };
}

/**
 * Starts `argv` in its own process group (setsid(); a PTY makes the shell a session leader too) so ending it
 * reaches everything it started. Shared by every isolation for the launch itself.
 */
export function spawnInGroup(argv: string[], cwd: string, request: SpawnRequest): LaunchedProcess {
  const proc = request.terminal
    ? Bun.spawn(argv, {
        cwd,
        env: request.env,
        terminal: { ...request.terminal, data: (_t, d) => request.terminal!.data(d) },
      })
    : Bun.spawn(argv, {
        cwd,
        env: request.env,
        stdin: request.stdin ?? 'ignore',
        stdout: request.stdout ?? 'ignore',
        stderr: request.stderr ?? 'ignore',
        detached: true,
      });
  return {
    proc: proc as LaunchedProcess['proc'],
    pid: proc.pid,
    end: (graceMs) => endGroup(proc.pid, graceMs),
    signal: (signal) => {
      signalGroup(proc.pid, signal);
    },
  };
}
