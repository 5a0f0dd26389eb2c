// The file modes of a data dir: the dir and its subdirectories 0700, its secrets 0600, checked and fixed at start.
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A data dir and the directories below it: only the owner may list or enter them. */
export const DIR_MODE = 0o700;
/** Keys, tokens, databases, state and logs: only the owner may read or write them. */
export const FILE_MODE = 0o600;

/** What to check below a data dir; paths are relative to it (absolute ones stand for themselves). */
export interface DataDirLayout {
  /** Directories kept at 0700; what is inside them is not walked (a workspace's files are its own). */
  dirs: readonly string[];
  /** Files kept at 0600; `logs/*` stands for every file directly in `logs`. Missing ones are skipped. */
  files: readonly string[];
}

/** One mode that was changed: `from` and `to` are the permission bits (`0o644` → `0o600`). */
export interface ModeFix {
  path: string;
  from: number;
  to: number;
}

/**
 * Creates `dir` (0700) when missing, then sets the data dir, `layout.dirs` and `layout.files` to their modes
 * and returns what it changed. Symbolic links below the data dir are left alone (their target is not ours to
 * change); the data dir itself may be one. A mode that cannot be changed (another owner) throws the fs error:
 * a secret others can read must stop the start.
 */
export function secureDataDir(dir: string, layout: DataDirLayout): ModeFix[] {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  const fixes: ModeFix[] = [];
  const fix = (path: string, mode: number, to: number) => {
    const from = mode & 0o777;
    if (from === to) return;
    chmodSync(path, to);
    fixes.push({ path, from, to });
  };
  fix(dir, statSync(dir).mode, DIR_MODE);
  for (const d of layout.dirs) {
    const path = resolve(dir, d);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) fix(path, st.mode, DIR_MODE);
  }
  for (const f of layout.files) {
    for (const path of expand(resolve(dir, f))) {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (st?.isFile()) fix(path, st.mode, FILE_MODE);
    }
  }
  return fixes;
}

/** `…/logs/*` → every file directly in `logs`; any other path → itself. */
function expand(path: string): string[] {
  if (!path.endsWith('/*')) return [path];
  const parent = dirname(path);
  if (!lstatSync(parent, { throwIfNoEntry: false })?.isDirectory()) return [];
  return readdirSync(parent, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => resolve(parent, e.name));
}

/** A SQLite/libSQL database file and the journal files SQLite keeps next to it. */
export function databaseFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];
}

/**
 * Creates the database file at `path` (0600, its directory 0700) before libSQL opens it: SQLite gives the
 * `-wal` and `-shm` files it makes later the mode of the database file, so all of them start at 0600.
 */
export function createDatabaseFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: DIR_MODE });
  closeSync(openSync(path, 'a', FILE_MODE));
}

/** `0o644` → `'0644'`, as `ls` and `chmod` write it. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
