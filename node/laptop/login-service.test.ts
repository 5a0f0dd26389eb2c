// Tests of the run-at-login service files: the right command, restart on exit, and no secret in them.
import { describe, expect, it } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LOGIN_SERVICE,
  type LoginServiceInput,
  planLoginService,
  renderLaunchdPlist,
  renderSystemdUserUnit,
  SecretInServiceError,
  writeLoginService,
} from './index.ts';

const INPUT: LoginServiceInput = {
  program: '/home/alice/.bun/bin/warren',
  args: ['node', 'run', '--laptop', '--network', 'tailscale'],
  dataDir: '/home/alice/.local/share/warren node',
  controlUrl: 'https://warren.example.com',
  logFile: '/Users/alice/Library/Logs/warren-node.log',
};

function unitLines(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

describe('renderSystemdUserUnit', () => {
  it('starts the node from its data dir and restarts it whenever it exits', () => {
    const unit = renderSystemdUserUnit(INPUT);
    expect(unitLines(unit, 'ExecStart')).toEqual([
      '/home/alice/.bun/bin/warren node run --laptop --network tailscale',
    ]);
    expect(unitLines(unit, 'Restart')).toEqual(['always']);
    expect(unitLines(unit, 'Environment')).toEqual([
      '"WARREN_DATA_DIR=/home/alice/.local/share/warren node"',
      'WARREN_CONTROL_URL=https://warren.example.com',
    ]);
    expect(unitLines(unit, 'WantedBy')).toEqual(['default.target']);
  });

  it('refuses a join token, or any token flag, in the unit', () => {
    expect(() => renderSystemdUserUnit({ ...INPUT, args: [...INPUT.args, '--join-token', 'abc'] })).toThrow(
      SecretInServiceError,
    );
    expect(() => renderSystemdUserUnit({ ...INPUT, args: [...INPUT.args, 'wrn_join_0123456789'] })).toThrow(
      SecretInServiceError,
    );
    expect(() => renderSystemdUserUnit({ ...INPUT, controlUrl: 'https://x/?t=wrn_api_abc' })).toThrow(
      SecretInServiceError,
    );
  });

  it('quotes arguments with spaces and escapes % so systemd does not expand them', () => {
    const unit = renderSystemdUserUnit({ ...INPUT, args: ['node', 'run', '--name', 'Alice 100%'] });
    expect(unitLines(unit, 'ExecStart')).toEqual([
      '/home/alice/.bun/bin/warren node run --name "Alice 100%%"',
    ]);
  });
});

describe('the unit under systemd', () => {
  // systemd-analyze is on some machines only; where it is, systemd itself must accept the unit silently.
  it.skipIf(!Bun.which('systemd-analyze'))('passes systemd-analyze verify without a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-unit-'));
    try {
      const file = join(dir, 'warren-node.service');
      writeFileSync(
        file,
        renderSystemdUserUnit({ ...INPUT, program: process.execPath, args: ['--name', 'Alice 100%'] }),
      );
      const r = Bun.spawnSync(['systemd-analyze', 'verify', file]);
      expect(r.stderr.toString()).toBe('');
      expect(r.exitCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('renderLaunchdPlist', () => {
  it('runs the same command at load and keeps it alive, logging to the given file', () => {
    const plist = renderLaunchdPlist(INPUT);
    const args = plist.match(/<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/)?.[1] ?? '';
    expect([...args.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => m[1])).toEqual([
      INPUT.program,
      ...INPUT.args,
    ]);
    expect(plist).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/);
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<true\/>/);
    expect(plist).toContain(`<string>${LOGIN_SERVICE.launchdLabel}</string>`);
    expect(plist).toContain('<string>/Users/alice/Library/Logs/warren-node.log</string>');
  });

  it('escapes XML and refuses secrets like the unit does', () => {
    expect(renderLaunchdPlist({ ...INPUT, args: ['a<b&c'] })).toContain('<string>a&lt;b&amp;c</string>');
    expect(() => renderLaunchdPlist({ ...INPUT, args: ['--token=x'] })).toThrow(SecretInServiceError);
  });
});

describe('planLoginService', () => {
  it('plans a systemd user unit on Linux and a launchd agent on macOS, with the commands to enable them', () => {
    const linux = planLoginService('linux', '/home/alice', INPUT);
    expect(linux).toMatchObject({
      kind: 'systemd',
      path: '/home/alice/.config/systemd/user/warren-node.service',
    });
    expect(linux.enable).toContain('systemctl --user enable --now warren-node.service');
    const mac = planLoginService('darwin', '/Users/alice', INPUT);
    expect(mac).toMatchObject({
      kind: 'launchd',
      path: '/Users/alice/Library/LaunchAgents/dev.warren.node.plist',
    });
    expect(mac.content).toContain('<plist version="1.0">');
  });
});

describe('writeLoginService', () => {
  it('writes the unit once, keeps a different existing file unless asked, and runs nothing', () => {
    const home = mkdtempSync(join(tmpdir(), 'warren-home-'));
    try {
      const plan = planLoginService('linux', home, INPUT);
      expect(writeLoginService(plan)).toBe('written');
      expect(readFileSync(plan.path, 'utf8')).toBe(plan.content);
      expect(writeLoginService(plan)).toBe('unchanged');
      writeFileSync(plan.path, '# edited by hand\n');
      expect(writeLoginService(plan)).toBe('exists');
      expect(readFileSync(plan.path, 'utf8')).toBe('# edited by hand\n');
      expect(writeLoginService(plan, { replace: true })).toBe('written');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
