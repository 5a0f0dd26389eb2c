// The data-dir lock: one process at a time per data dir, named by a lock file with its pid; stale ones are taken over.
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { DIR_MODE, FILE_MODE } from './file-modes.ts';

/** The lock file in a data dir; it holds the pid of the process using the dir (and what tells a reused pid apart). */
export const LOCK_FILE = 'warren.lock';

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  /** The kernel's boot id when it was taken (Linux): a lock from before a reboot is stale whatever its pid. */
  boot?: string;
  /** The holder's start time in clock ticks after boot (Linux `/proc/<pid>/stat`): a reused pid has another one. */
  start?: number;
}

/** A lock this process holds; `release()` removes the file (once; only if it is still this process's). */
export interface DataDirLock {
  readonly dir: string;
  readonly path: string;
  release(): void;
}

/** Another live process holds the data dir; `pid` names it. */
export class DataDirLockedError extends Error {
  readonly code = 'data_dir_locked';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`${dir} is in use by pid ${pid}: one process at a time may use a data dir; stop that one first`);
    this.name = 'DataDirLockedError';
  }
}

/** Where the facts about processes come from; tests point `procRoot` at a fake tree. */
export interface ProcessFacts {
  /** `/proc` on Linux; where it is missing (macOS) only "is the pid alive" is checked. */
  procRoot: string;
}

/** Lock paths this process holds: a second lock of the same dir in one process is refused too. */
const held = new Set<string>();

/**
 * Takes `dir`'s lock (creating `dir` 0700 when missing) or throws DataDirLockedError naming the live holder.
 * A lock whose holder is dead, a zombie, from an earlier boot, or a reused pid (another start time) is stale
 * and taken over; so is one naming this very pid that this process does not hold (a container whose node is
 * always pid 1).
 */
export function lockDataDir(dir: string, facts: Partial<ProcessFacts> = {}): DataDirLock {
  const f: ProcessFacts = { procRoot: '/proc', ...facts };
  const abs = resolve(dir);
  const path = join(abs, LOCK_FILE);
  if (held.has(path)) throw new DataDirLockedError(abs, process.pid);
  mkdirSync(abs, { recursive: true, mode: DIR_MODE });
  const me = holderOf(process.pid, f);
  // Racing starters settle within microseconds; the deadline only guards against a file system gone wrong.
  const deadline = Date.now() + TAKE_TIMEOUT_MS;
  for (;;) {
    if (create(path, me)) {
      held.add(path);
      let released = false;
      return {
        dir: abs,
        path,
        release() {
          if (released) return;
          released = true;
          held.delete(path);
          // Never another process's: the file is ours unless someone judged us dead.
          if (readHolder(path)?.holder?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    }
    const seen = readHolder(path);
    if (seen?.holder && isLive(seen.holder, f)) throw new DataDirLockedError(abs, seen.holder.pid);
    if (seen) removeStale(path, me, f);
    if (Date.now() > deadline) throw new Error(`could not take ${path} within ${TAKE_TIMEOUT_MS} ms`);
  }
}

/** How long taking a lock may keep finding it changing hands before it gives up. */
const TAKE_TIMEOUT_MS = 5_000;

/** The pid of the live process holding `dir`, or undefined when the dir is free (or its lock stale). */
export function dataDirHolder(dir: string, facts: Partial<ProcessFacts> = {}): number | undefined {
  const f: ProcessFacts = { procRoot: '/proc', ...facts };
  const path = join(resolve(dir), LOCK_FILE);
  if (held.has(path)) return process.pid;
  const seen = readHolder(path);
  return seen?.holder && isLive(seen.holder, f) ? seen.holder.pid : undefined;
}

/**
 * Creates the lock file with its content in one step: a fully written temp file is hard-linked to the lock path,
 * which fails when the path exists (as atomic as `open(…, 'wx')`, and no reader ever sees the file empty).
 * Where the file system has no hard links, `open(…, 'wx')` and a write; false when the lock exists.
 */
function create(path: string, me: LockHolder): boolean {
  const body = `${JSON.stringify(me)}\n`;
  const tmp = `${path}.${me.pid}.tmp`;
  writeFileAtomically(tmp, body);
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    return createExclusive(path, body);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function createExclusive(path: string, body: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', FILE_MODE);
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, body);
  } finally {
    closeSync(fd);
  }
  return true;
}

function writeFileAtomically(path: string, body: string): void {
  const fd = openSync(path, 'w', FILE_MODE);
  try {
    writeSync(fd, body);
  } finally {
    closeSync(fd);
  }
}

/** The lock's holder and inode; `holder` undefined for content that names no pid; undefined when there is no file. */
function readHolder(path: string): { holder: LockHolder | undefined; ino: number } | undefined {
  let ino: number;
  let text: string;
  try {
    ino = statSync(path).ino;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
  return { holder: parseHolder(text), ino };
}

/** `{"pid":…}` (what this module writes) or a bare pid (what a person or an old tool may have left). */
export function parseHolder(text: string): LockHolder | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return validPid(Number(trimmed)) ? { pid: Number(trimmed) } : undefined;
  try {
    const v = JSON.parse(trimmed) as Partial<LockHolder>;
    if (!validPid(v.pid)) return undefined;
    return {
      pid: v.pid,
      ...(typeof v.boot === 'string' ? { boot: v.boot } : {}),
      ...(typeof v.start === 'number' ? { start: v.start } : {}),
    };
  } catch {
    return undefined;
  }
}

function validPid(pid: unknown): pid is number {
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0;
}

/** Whether the process a lock names still runs: not dead, not a zombie, same boot, same start time. */
function isLive(h: LockHolder, f: ProcessFacts): boolean {
  // This pid, but not a lock this process holds (checked before): left by an earlier process with our pid.
  if (h.pid === process.pid) return false;
  const boot = bootId(f);
  if (h.boot && boot && h.boot !== boot) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    // EPERM: it runs, under another user.
    if (errno(e) !== 'EPERM') return false;
  }
  const stat = procStat(h.pid, f);
  if (stat?.state === 'Z' || stat?.state === 'X') return false;
  if (h.start !== undefined && stat && stat.start !== h.start) return false;
  return true;
}

/** This process as a lock holder. */
function holderOf(pid: number, f: ProcessFacts): LockHolder {
  const boot = bootId(f);
  const start = procStat(pid, f)?.start;
  return { pid, ...(boot ? { boot } : {}), ...(start !== undefined ? { start } : {}) };
}

function bootId(f: ProcessFacts): string | undefined {
  try {
    return readFileSync(join(f.procRoot, 'sys/kernel/random/boot_id'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** State letter and start time of a pid from `/proc/<pid>/stat`; undefined where there is no /proc. */
function procStat(pid: number, f: ProcessFacts): { state: string; start: number } | undefined {
  let text: string;
  try {
    text = readFileSync(join(f.procRoot, String(pid), 'stat'), 'utf8');
  } catch {
    return undefined;
  }
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so fields count from the last `)`.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return fields[0] && Number.isFinite(start) ? { state: fields[0], start } : undefined;
}

/**
 * Removes a stale lock, holding the takeover guard (`<lock>.takeover`, created like the lock): only a guard holder
 * removes a lock it does not hold, and it judges the lock again inside the guard, so two starters that both saw
 * the stale lock can never remove the fresh one the first of them created. Without the guard they can: a check
 * and an unlink are two steps, and inode numbers are reused.
 */
function removeStale(path: string, me: LockHolder, f: ProcessFacts): void {
  const guard = `${path}.takeover`;
  if (!create(guard, me)) {
    const g = readHolder(guard);
    // A starter that died inside the guard (a window of microseconds) left it: moved aside, then tried again.
    if (g && !(g.holder && isLive(g.holder, f))) moveAsideIfSame(guard, g.ino);
    else Bun.sleepSync(GUARD_WAIT_MS);
    return;
  }
  try {
    const now = readHolder(path);
    if (now && !(now.holder && isLive(now.holder, f))) rmSync(path, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}

/** A live guard is held for microseconds: waiting this long between looks costs nothing noticeable. */
const GUARD_WAIT_MS = 2;

/**
 * Removes a stale guard only if it is still the file that was judged stale: rename(2) moves whatever is at the
 * path atomically and the moved file's inode is compared; a fresh guard taken meanwhile is linked back. Only
 * starters racing on a guard whose holder died use this, so its own races (a third starter between the rename
 * and the link) need a crash and a race at once.
 */
function moveAsideIfSame(path: string, ino: number): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    throw e;
  }
  try {
    if (statSync(aside).ino !== ino) {
      try {
        linkSync(aside, path);
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
    }
  } finally {
    rmSync(aside, { force: true });
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
