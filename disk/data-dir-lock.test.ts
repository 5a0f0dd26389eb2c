// The data-dir lock on real files and real processes: who may take it, who is refused, and which locks are stale.
import { afterEach, describe, expect, it } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, dataDirHolder, LOCK_FILE, lockDataDir } from './index.ts';

const dirs: string[] = [];
const children: ReturnType<typeof Bun.spawn>[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill('SIGKILL');
    await c.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warren-lock-'));
  dirs.push(d);
  return d;
}

const lockFile = (dir: string) => join(dir, LOCK_FILE);
const holderPid = (dir: string) => (JSON.parse(readFileSync(lockFile(dir), 'utf8')) as { pid: number }).pid;

/** Another process that takes `dir`'s lock and keeps it until killed. */
async function holdInAnotherProcess(dir: string): Promise<ReturnType<typeof Bun.spawn>> {
  const module = join(import.meta.dir, 'index.ts');
  const child = Bun.spawn(
    [
      process.execPath,
      '-e',
      `const { lockDataDir } = await import(${JSON.stringify(module)});
       lockDataDir(${JSON.stringify(dir)});
       console.log('locked');
       setInterval(() => {}, 1000);`,
    ],
    { stdout: 'pipe', stderr: 'inherit' },
  );
  children.push(child);
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(value)).toContain('locked');
  return child;
}

/** A pid no process has now: one that ran and was reaped. */
async function deadPid(): Promise<number> {
  const p = Bun.spawn(['true']);
  await p.exited;
  return p.pid;
}

/** A fake `/proc` with a boot id and, per pid, a state letter and start time. */
function fakeProc(boot: string, pids: Record<number, { state: string; start: number }>): string {
  const root = tempDir();
  mkdirSync(join(root, 'sys/kernel/random'), { recursive: true });
  writeFileSync(join(root, 'sys/kernel/random/boot_id'), `${boot}\n`);
  for (const [pid, { state, start }] of Object.entries(pids)) {
    mkdirSync(join(root, pid));
    // Field 22 is the start time; the comm has a space and a parenthesis, as real ones may.
    const rest = Array.from({ length: 18 }, (_, i) => String(i));
    writeFileSync(join(root, pid, 'stat'), `${pid} (we (ird) ${state} ${rest.join(' ')} ${start} 0 0\n`);
  }
  return root;
}

describe('Data dir lock', () => {
  it('writes this pid into a 0600 lock file, and removes it on release so the dir can be locked again', () => {
    const dir = join(tempDir(), 'data');
    const lock = lockDataDir(dir);
    expect(holderPid(dir)).toBe(process.pid);
    expect(statSync(lockFile(dir)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(dataDirHolder(dir)).toBe(process.pid);
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
    expect(dataDirHolder(dir)).toBeUndefined();
    lockDataDir(dir).release();
  });

  it('refuses a second lock of the same dir in the same process, naming this pid', () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(`in use by pid ${process.pid}`);
    lock.release();
  });

  it('refuses while another live process holds the dir, naming its pid, and takes it over once that one was killed', async () => {
    const dir = tempDir();
    const other = await holdInAnotherProcess(dir);
    expect(dataDirHolder(dir)).toBe(other.pid);
    let refused: unknown;
    try {
      lockDataDir(dir);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).pid).toBe(other.pid);
    expect((refused as Error).message.split('\n')).toHaveLength(1);
    expect(holderPid(dir)).toBe(other.pid);

    other.kill('SIGKILL');
    await other.exited;
    // Its lock file stays behind, naming a dead pid: stale.
    expect(holderPid(dir)).toBe(other.pid);
    expect(dataDirHolder(dir)).toBeUndefined();
    const lock = lockDataDir(dir);
    expect(holderPid(dir)).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock naming a dead pid, a bare dead pid, or no pid at all', async () => {
    for (const body of [JSON.stringify({ pid: await deadPid() }), String(await deadPid()), '', 'not a pid']) {
      const dir = tempDir();
      writeFileSync(lockFile(dir), body);
      const lock = lockDataDir(dir);
      expect(holderPid(dir)).toBe(process.pid);
      lock.release();
    }
  });

  it('takes over a lock naming this pid that this process does not hold (an earlier process had the same pid)', () => {
    const dir = tempDir();
    writeFileSync(lockFile(dir), JSON.stringify({ pid: process.pid }));
    const lock = lockDataDir(dir);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    lock.release();
  });

  it('takes over a live pid that started at another time (reused), from another boot, or a zombie; refuses the same one', () => {
    const dir = tempDir();
    // The parent of this test runner is alive; the fake /proc says what it is.
    const pid = process.ppid;
    const cases = [
      { lock: { pid, boot: 'b1', start: 100 }, proc: { boot: 'b1', state: 'S', start: 100 }, live: true },
      { lock: { pid, boot: 'b1', start: 100 }, proc: { boot: 'b1', state: 'S', start: 250 }, live: false },
      { lock: { pid, boot: 'b0', start: 100 }, proc: { boot: 'b1', state: 'S', start: 100 }, live: false },
      { lock: { pid, boot: 'b1', start: 100 }, proc: { boot: 'b1', state: 'Z', start: 100 }, live: false },
      // Written where no /proc was (macOS): a live pid is all there is to go by.
      { lock: { pid }, proc: { boot: 'b1', state: 'S', start: 100 }, live: true },
    ];
    for (const c of cases) {
      const procRoot = fakeProc(c.proc.boot, { [pid]: { state: c.proc.state, start: c.proc.start } });
      writeFileSync(lockFile(dir), JSON.stringify(c.lock));
      expect(`${JSON.stringify(c)} ${dataDirHolder(dir, { procRoot })}`).toBe(
        `${JSON.stringify(c)} ${c.live ? pid : undefined}`,
      );
      if (c.live) {
        expect(() => lockDataDir(dir, { procRoot })).toThrow(`in use by pid ${pid}`);
      } else {
        lockDataDir(dir, { procRoot }).release();
      }
    }
  });

  it('records the boot id and start time of the holder where /proc has them', () => {
    const dir = tempDir();
    const procRoot = fakeProc('boot-1', { [process.pid]: { state: 'R', start: 4242 } });
    const lock = lockDataDir(dir, { procRoot });
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toEqual({
      pid: process.pid,
      boot: 'boot-1',
      start: 4242,
    });
    lock.release();
  });

  it('lets exactly one of several processes racing for a stale lock take it; the others name the winner', async () => {
    const dir = tempDir();
    writeFileSync(lockFile(dir), JSON.stringify({ pid: await deadPid() }));
    const module = join(import.meta.dir, 'index.ts');
    // All of them try at the same instant, after their (slower) start.
    const at = Date.now() + 1_500;
    const racers = Array.from({ length: 8 }, () =>
      Bun.spawn(
        [
          process.execPath,
          '-e',
          `const { lockDataDir } = await import(${JSON.stringify(module)});
           await Bun.sleep(${at} - Date.now());
           try { lockDataDir(${JSON.stringify(dir)}); console.log('took ' + process.pid); }
           catch (e) { console.log('refused ' + e.pid); }
           await Bun.sleep(1_000);`,
        ],
        { stdout: 'pipe', stderr: 'inherit' },
      ),
    );
    children.push(...racers);
    const said = await Promise.all(racers.map(async (r) => (await new Response(r.stdout).text()).trim()));
    const took = said.filter((s) => s.startsWith('took '));
    expect(took).toHaveLength(1);
    const winner = took[0]!.slice('took '.length);
    expect(said.filter((s) => s === `refused ${winner}`)).toHaveLength(7);
  });

  it('takes the lock past a takeover guard left by a starter that died inside it', async () => {
    const dir = tempDir();
    writeFileSync(lockFile(dir), JSON.stringify({ pid: await deadPid() }));
    writeFileSync(`${lockFile(dir)}.takeover`, JSON.stringify({ pid: await deadPid() }));
    const lock = lockDataDir(dir);
    expect(holderPid(dir)).toBe(process.pid);
    expect(existsSync(`${lockFile(dir)}.takeover`)).toBe(false);
    lock.release();
  });

  it('releases only its own lock file: one that names another process by then stays', () => {
    const dir = tempDir();
    const lock = lockDataDir(dir);
    writeFileSync(lockFile(dir), JSON.stringify({ pid: process.ppid }));
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(true);
  });
});
