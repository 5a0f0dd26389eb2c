// The sandbox on a node that is not root (a laptop): no uid or network of its own, but the same mount and pid
// view. Run as `nobody` through setpriv, with a real workspace and probes through the launcher.
import { afterAll, describe, expect, it } from 'bun:test';
import { accessSync, chownSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const FIXTURE = resolve(import.meta.dir, 'fixtures', 'laptop-sandbox.ts');
const NOBODY = 65534;

/** Whether `nobody` can read the checkout (a clone under a private home cannot be run by another user). */
function nobodyCanRead(): boolean {
  const r = Bun.spawnSync([
    'setpriv',
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    '--clear-groups',
    'cat',
    FIXTURE,
  ]);
  return r.exitCode === 0;
}

const available =
  process.getuid?.() === 0 && Bun.which('bwrap') !== null && Bun.which('setpriv') !== null && nobodyCanRead();
if (!available)
  console.warn(
    'laptop sandbox test skipped: needs root (to become nobody), bubblewrap, and a checkout nobody can read',
  );

let dataDir = '';
afterAll(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!available)('A sandbox on a node that is not root', () => {
  it('hides the node data dir and other processes, keeps the system read-only, and still serves the app', () => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-laptop-'));
    chownSync(dataDir, NOBODY, NOBODY);
    accessSync(dataDir, constants.R_OK);
    const r = Bun.spawnSync(
      [
        'setpriv',
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        '--clear-groups',
        process.execPath,
        FIXTURE,
        join(dataDir, 'node'),
      ],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir }, stderr: 'pipe', timeout: 60_000 },
    );
    const line = r.stdout.toString().trim().split('\n').pop() ?? '';
    if (r.exitCode !== 0) throw new Error(`fixture failed: ${r.stderr.toString()}`);
    const found = JSON.parse(line) as Record<string, unknown>;
    expect(found.kind).toBe('sandbox-shared-network');
    expect(found.status).toBe('running');
    expect(found.app).toBe(200);
    // The node's own uid (no uid of its own without root), in a user namespace.
    expect(found.uid).toBe(String(NOBODY));
    expect(found.dataDir).not.toBe(0);
    expect(found.processes as number).toBeLessThan(10);
    expect(found.home).toBe('ok');
    expect(found.etc).not.toBe(0);
  }, 90_000);
});
