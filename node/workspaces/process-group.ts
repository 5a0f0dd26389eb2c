// Process groups on Linux: whether one still has live members, and ending all of them.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Pids of live (non-zombie) processes in the process group `pgid` or in the session it leads, read from /proc.
 * Workspace apps and terminals are started with setsid(), so their pid is both; a job-control shell puts
 * background jobs in groups of their own, but they stay in its session.
 */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command (which may hold spaces and parentheses): state ppid pgrp session …
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') continue;
    if (Number(rest[2]) === pgid || Number(rest[3]) === pgid) out.push(Number(name));
  }
  return out;
}

/** Sends `signal` to the group and to every member of its session; false when none was left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  let any = false;
  try {
    process.kill(-pgid, signal);
    any = true;
  } catch {}
  for (const pid of groupMembers(pgid)) {
    try {
      process.kill(pid, signal);
      any = true;
    } catch {}
  }
  return any;
}

/** True when `pid` still runs with `WARREN_WORKSPACE_ID=<workspaceId>` in its environment (guards against pid reuse). */
export function belongsToWorkspace(pid: number, workspaceId: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .includes(`WARREN_WORKSPACE_ID=${workspaceId}`);
  } catch {
    return false;
  }
}

/** SIGHUP+SIGTERM to the group, SIGKILL after `graceMs`; resolves once no live member is left (or after a last wait). */
export async function endGroup(pgid: number, graceMs: number): Promise<void> {
  // SIGHUP first: interactive shells ignore SIGTERM but end on a hangup.
  signalGroup(pgid, 'SIGHUP');
  if (!signalGroup(pgid, 'SIGTERM') && groupMembers(pgid).length === 0) return;
  const termDeadline = Date.now() + graceMs;
  while (Date.now() < termDeadline) {
    if (groupMembers(pgid).length === 0) return;
    await Bun.sleep(25);
  }
  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (Date.now() < killDeadline && groupMembers(pgid).length > 0) await Bun.sleep(25);
}
