// `warren control` as a real process: first start writes and prints the admin secrets once; the API verbs reach it.
import { afterAll, describe, expect, it } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONTROL_READY, startWarren } from './testing/index.ts';

const CLI = resolve(import.meta.dir, '../cli/main.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'warren-cli-'));
const looseDir = mkdtempSync(join(tmpdir(), 'warren-cli-modes-'));
afterAll(() => {
  for (const d of [dataDir, looseDir]) rmSync(d, { recursive: true, force: true });
});

/** Runs `warren control` until it is ready; returns its stdout so far and a stop function. */
async function start(data = dataDir) {
  const { proc, out, ready } = await startWarren<{ url: string }>(
    ['control', '--port', '0', '--data', data],
    CONTROL_READY,
    'warren control',
    { timeoutMs: 15_000 },
  );
  return {
    out,
    url: ready.url,
    proc,
    stop: async () => {
      proc.kill('SIGTERM');
      return { code: await proc.exited, stderr: await new Response(proc.stderr).text() };
    },
  };
}

const run = async (...args: string[]) => {
  const p = Bun.spawn([process.execPath, CLI, ...args, '--data', dataDir], {
    stdout: 'pipe',
    stderr: 'pipe',
  });
  return {
    code: await p.exited,
    out: await new Response(p.stdout).text(),
    err: await new Response(p.stderr).text(),
  };
};

describe('warren control', () => {
  it('prints the login link and admin token on the first start only, and keeps them 0600 in the data dir', async () => {
    const first = await start();
    const token = (await Bun.file(join(dataDir, 'admin-token')).text()).trim();
    const link = (await Bun.file(join(dataDir, 'login-link.txt')).text()).trim();
    expect(token).toStartWith('wrn_api_');
    expect(link).toContain('/auth/login?token=wrn_login_');
    expect(first.out).toContain(token);
    expect(first.out).toContain(link);
    for (const f of ['admin-token', 'login-link.txt', 'master.key'])
      expect(statSync(join(dataDir, f)).mode & 0o777).toBe(0o600);

    // The API verbs find it through the data dir.
    const before = (await (await fetch(`${first.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    const rotated = await run('keys', 'rotate');
    expect(rotated.code).toBe(0);
    const after = (await (await fetch(`${first.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(after.keys.length).toBe(before.keys.length + 1);
    expect(after.keys.map((k) => k.kid)).toContain(JSON.parse(rotated.out).kid);
    const jt = await run('join-token', 'create', '--ttl', '600');
    expect(jt.code).toBe(0);
    expect(JSON.parse(jt.out).token).toStartWith('wrn_join_');

    const stopped = await first.stop();
    expect(stopped.code).toBe(0);
    // Secrets never reach the log.
    expect(stopped.stderr).not.toContain(token);
    expect(stopped.stderr).not.toContain('wrn_join_');

    const second = await start();
    expect(second.out).not.toContain('wrn_api_');
    expect(second.out).not.toContain('wrn_login_');
    await second.stop();
  }, 30_000);

  it('sets a data dir left 0755 and its 0644 master key to 0700/0600 at start, with a warning per path and no key in it', async () => {
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
    const keyFile = join(looseDir, 'master.key');
    writeFileSync(keyFile, `${key}\n`);
    chmodSync(keyFile, 0o644);
    chmodSync(looseDir, 0o755);
    const running = await start(looseDir);
    // Only the log matters here: a SIGTERM right after the ready line may land before the handler is set.
    const { stderr } = await running.stop();
    expect(statSync(looseDir).mode & 0o777).toBe(0o700);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const warnings = stderr
      .split('\n')
      .filter((l) => l.includes('"file mode fixed"'))
      .map((l) => JSON.parse(l) as { level: string; path: string; from: string; to: string });
    expect(warnings.map(({ level, path, from, to }) => ({ level, path, from, to }))).toEqual([
      { level: 'warn', path: looseDir, from: '0755', to: '0700' },
      { level: 'warn', path: keyFile, from: '0644', to: '0600' },
    ]);
    expect(stderr).not.toContain(key);
  }, 30_000);

  it('fails at start naming the variable or flag that is wrong', async () => {
    const bad = await run('control', '--port', 'seventy');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--port');
  });
});
