// `bun run build:cli`: one executable that runs without the checkout — its help, and a control plane (libSQL's
// native module and the migrations inside it).
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONTROL_READY, readReadyLine } from './testing/index.ts';

const ROOT = resolve(import.meta.dir, '..');
const dir = mkdtempSync(join(tmpdir(), 'warren-build-'));
const exe = join(dir, 'warren');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bun run build:cli', () => {
  it('makes one executable that answers --help and runs a control plane from an empty directory', async () => {
    const built = Bun.spawnSync([process.execPath, 'scripts/build/cli.ts', exe], { cwd: ROOT });
    expect(built.exitCode).toBe(0);
    expect(statSync(exe).mode & 0o111).not.toBe(0);
    const help = Bun.spawnSync([exe, 'ws', '--help'], { cwd: dir });
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toStartWith('usage: warren ws');
    // Nothing of the checkout is reachable from here: the migrations come from inside the executable.
    const control = Bun.spawn([exe, 'control', '--port', '0', '--data', join(dir, 'data')], {
      cwd: dir,
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const { ready } = await readReadyLine<{ url: string }>(
      control,
      CONTROL_READY,
      'the built warren control',
      30_000,
    );
    control.kill('SIGTERM');
    expect(await control.exited).toBe(0);
    expect(ready.url).toStartWith('http://');
  }, 60_000);
});
