// secureDataDir on real files in a temp dir: what it fixes, what it reports, and what it must leave alone.
import { afterEach, describe, expect, it } from 'bun:test';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { createDatabaseFile, databaseFiles, formatMode, secureDataDir } from './index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warren-modes-'));
  dirs.push(d);
  return d;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Writes `path` with `content` and then sets `mode` (the umask cannot interfere). */
function file(path: string, mode: number, content = 'x'): string {
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe('secureDataDir', () => {
  it('sets a 0755 data dir to 0700 and a 0644 key file to 0600, and reports both with their old modes', () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const key = file(join(dir, 'master.key'), 0o644);
    const fixes = secureDataDir(dir, { dirs: [], files: ['master.key'] });
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(key)).toBe(0o600);
    expect(fixes).toEqual([
      { path: dir, from: 0o755, to: 0o700 },
      { path: key, from: 0o644, to: 0o600 },
    ]);
  });

  it('changes and reports nothing when every mode is already right', () => {
    const dir = tempDir();
    chmodSync(dir, 0o700);
    mkdirSync(join(dir, 'logs'), { mode: 0o700 });
    file(join(dir, 'master.key'), 0o600);
    file(join(dir, 'logs', 'a.log'), 0o600);
    expect(secureDataDir(dir, { dirs: ['logs'], files: ['master.key', 'logs/*'] })).toEqual([]);
  });

  it('creates a missing data dir with mode 0700', () => {
    const dir = join(tempDir(), 'fresh', 'data');
    expect(secureDataDir(dir, { dirs: ['nodes'], files: ['master.key'] })).toEqual([]);
    expect(modeOf(dir)).toBe(0o700);
  });

  it('fixes every file of a `dir/*` entry, the database journal files and absolute paths, skipping missing ones', () => {
    const dir = tempDir();
    chmodSync(dir, 0o700);
    mkdirSync(join(dir, 'logs'));
    chmodSync(join(dir, 'logs'), 0o755);
    const logs = [file(join(dir, 'logs', 'a.log'), 0o644), file(join(dir, 'logs', 'b.log'), 0o666)];
    const db = file(join(dir, 'state.db'), 0o644);
    const wal = file(`${db}-wal`, 0o644);
    const elsewhere = tempDir();
    const outside = file(join(elsewhere, 'other.db'), 0o640);
    const fixes = secureDataDir(dir, {
      dirs: ['logs', 'pulumi'],
      files: ['logs/*', ...databaseFiles('state.db'), outside, 'missing.json', 'nowhere/*'],
    });
    for (const f of [...logs, db, wal, outside]) expect(modeOf(f)).toBe(0o600);
    expect(modeOf(join(dir, 'logs'))).toBe(0o700);
    expect(fixes.map((f) => f.path).sort()).toEqual([join(dir, 'logs'), ...logs, db, wal, outside].sort());
  });

  it('does not walk into a listed directory: a workspace keeps the modes its own files have', () => {
    const dir = tempDir();
    const ws = join(dir, 'workspaces', 'ws_1');
    mkdirSync(ws, { recursive: true });
    chmodSync(join(dir, 'workspaces'), 0o755);
    chmodSync(ws, 0o755);
    const script = file(join(ws, 'run.sh'), 0o755);
    secureDataDir(dir, { dirs: ['workspaces'], files: [] });
    expect(modeOf(join(dir, 'workspaces'))).toBe(0o700);
    expect(modeOf(ws)).toBe(0o755);
    expect(modeOf(script)).toBe(0o755);
  });

  it('leaves a symbolic link below the data dir and its target alone', () => {
    const dir = tempDir();
    const target = file(join(tempDir(), 'shared.txt'), 0o644);
    symlinkSync(target, join(dir, 'admin-token'));
    const targetDir = tempDir();
    chmodSync(targetDir, 0o755);
    symlinkSync(targetDir, join(dir, 'logs'));
    file(join(targetDir, 'a.log'), 0o644);
    const fixes = secureDataDir(dir, { dirs: ['logs'], files: ['admin-token', 'logs/*'] });
    expect(fixes).toEqual([]);
    expect(modeOf(target)).toBe(0o644);
    expect(modeOf(targetDir)).toBe(0o755);
    expect(modeOf(join(targetDir, 'a.log'))).toBe(0o644);
  });
});

describe('createDatabaseFile', () => {
  it('creates the database 0600 in a 0700 dir, so the -wal and -shm files libSQL adds are 0600 too', async () => {
    const dir = join(tempDir(), 'db');
    const path = join(dir, 'x.db');
    createDatabaseFile(path);
    const client = createClient({ url: `file:${path}` });
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('CREATE TABLE t (x)');
    await client.execute('INSERT INTO t VALUES (1)');
    expect(modeOf(dir)).toBe(0o700);
    const made = readdirSync(dir);
    expect(made).toContain('x.db-wal');
    for (const f of made) expect(`${f} ${formatMode(modeOf(join(dir, f)))}`).toBe(`${f} 0600`);
    client.close();
  });
});

describe('formatMode', () => {
  it('writes permission bits as chmod does', () => {
    expect(formatMode(0o100644)).toBe('0644');
    expect(formatMode(0o700)).toBe('0700');
    expect(formatMode(0o7)).toBe('0007');
  });
});
