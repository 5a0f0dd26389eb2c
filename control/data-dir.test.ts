// The control plane's data dir modes at start: a loose dir and loose secrets are fixed and logged, paths only.
import { afterEach, describe, expect, it } from 'bun:test';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlConfig, defaultControlConfig } from './config.ts';
import type { Log } from './log.ts';
import { startControl } from './server.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function config(): ControlConfig {
  const dir = mkdtempSync(join(tmpdir(), 'warren-modes-control-'));
  dirs.push(dir);
  return { ...defaultControlConfig(dir), port: 0, meshListen: null };
}

/** A log that keeps its warnings (as the JSON the real one writes) and drops the rest. */
function recordingLog(): Log & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    info: () => {},
    warn: (msg, fields) => warnings.push(JSON.stringify({ msg, ...fields })),
    error: () => {},
  };
}

/** Starts and stops the control plane once; returns the warnings it logged. */
async function startOnce(c: ControlConfig): Promise<string[]> {
  const log = recordingLog();
  const running = await startControl(c, { log });
  await running.stop();
  return log.warnings;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('Control plane data dir', () => {
  it('creates its dir 0700 and the key, database, tokens and control.json 0600, and warns of nothing on the next start', async () => {
    const c = config();
    chmodSync(c.dataDir, 0o700);
    const log = recordingLog();
    const running = await startControl(c, { log });
    const files = [
      'master.key',
      'admin-token',
      'login-link.txt',
      'control.json',
      'control.db',
      'control.db-wal',
    ];
    for (const f of files) expect(`${f} ${modeOf(join(c.dataDir, f)).toString(8)}`).toBe(`${f} 600`);
    await running.stop();
    expect(log.warnings).toEqual([]);
    expect(await startOnce(c)).toEqual([]);
  });

  it('sets a 0755 data dir and 0644 secrets to 0700/0600 at start, with one warning naming each path and its modes', async () => {
    const c = config();
    await startOnce(c);
    const loose = ['master.key', 'admin-token', 'control.db', 'control.json'].map((f) => join(c.dataDir, f));
    for (const f of loose) chmodSync(f, 0o644);
    const nodes = join(c.dataDir, 'nodes');
    mkdirSync(nodes, { mode: 0o755 });
    chmodSync(nodes, 0o755);
    chmodSync(c.dataDir, 0o755);

    const warnings = (await startOnce(c)).map((w) => JSON.parse(w));
    expect(modeOf(c.dataDir)).toBe(0o700);
    expect(modeOf(nodes)).toBe(0o700);
    for (const f of loose) expect(modeOf(f)).toBe(0o600);
    expect(warnings).toEqual(
      expect.arrayContaining([
        { msg: 'file mode fixed', path: c.dataDir, from: '0755', to: '0700' },
        { msg: 'file mode fixed', path: nodes, from: '0755', to: '0700' },
        ...loose.map((path) => ({ msg: 'file mode fixed', path, from: '0644', to: '0600' })),
      ]),
    );
    expect(warnings).toHaveLength(loose.length + 2);
  });

  it('never writes what a fixed file holds into the warning', async () => {
    const c = config();
    await startOnce(c);
    const secrets = ['master.key', 'admin-token', 'login-link.txt'].map((f) => {
      chmodSync(join(c.dataDir, f), 0o604);
      return readFileSync(join(c.dataDir, f), 'utf8').trim();
    });
    const warnings = (await startOnce(c)).join('\n');
    expect(warnings).toContain('login-link.txt');
    for (const s of secrets) {
      expect(s.length).toBeGreaterThan(20);
      expect(warnings).not.toContain(s);
    }
  });

  it('fixes a database file kept outside the data dir', async () => {
    const c = config();
    const elsewhere = mkdtempSync(join(tmpdir(), 'warren-modes-db-'));
    dirs.push(elsewhere);
    const db = join(elsewhere, 'control.db');
    c.dbUrl = `file:${db}`;
    await startOnce(c);
    chmodSync(db, 0o644);
    const warnings = await startOnce(c);
    expect(modeOf(db)).toBe(0o600);
    expect(warnings).toEqual([
      JSON.stringify({ msg: 'file mode fixed', path: db, from: '0644', to: '0600' }),
    ]);
    expect(existsSync(join(c.dataDir, 'control.db'))).toBe(false);
  });
});
