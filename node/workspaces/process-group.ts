// Process groups on Linux: whether one still has live members, and ending all of them.
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of live (non-zombie) processes whose process group is `pgid`, read from /proc. */
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
    // Fields after the command (which may hold spaces and parentheses): state ppid pgrp …
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] !== 'Z' && rest[0] !== 'X' && Number(rest[2]) === pgid) out.push(Number(name));
  }
  return out;
}

/** Sends `signal` to every process in the group; false when the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
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

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves once no live member is left (or after a last wait). */
export async function endGroup(pgid: number, graceMs: number): Promise<void> {
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
