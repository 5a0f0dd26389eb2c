// joinLaptop against the stand-in control plane: steps printed in order, nothing installed unless asked, and a
// wake (the wall clock jumping ahead of the monotonic one) heartbeats at once instead of at the next tick.
import { afterEach, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localNodeConfig } from '../config.ts';
import { eventually } from '../testing/index.ts';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';
import { tempDataDir } from '../testing/test-node.ts';
import { joinLaptop, type LaptopNode } from './laptop-join.ts';

let issuer: TestIssuer | undefined;
let laptop: LaptopNode | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await laptop?.stop();
  laptop = undefined;
  await issuer?.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(installService: boolean) {
  // A heartbeat interval of a minute: any heartbeat within the test beyond the first is the wake's doing.
  issuer = await startTestIssuer({ heartbeatIntervalMs: 60_000 });
  const home = mkdtempSync(join(tmpdir(), 'warren-home-'));
  const config = localNodeConfig();
  config.controlUrl = issuer.url;
  config.joinToken = issuer.joinToken();
  config.dataDir = tempDataDir();
  config.laptop = true;
  dirs.push(home, config.dataDir);
  let offset = 0;
  const lines: string[] = [];
  laptop = await joinLaptop(config, {
    write: (l) => lines.push(l),
    installService,
    platform: 'linux',
    home,
    program: '/usr/bin/bun',
    args: ['/opt/warren/cli/main.ts', 'node', 'join', '--laptop'],
    wake: { intervalMs: 10, minSleepMs: 5_000 },
    clocks: { wall: () => Date.now() + offset, monotonic: () => performance.now() },
    node: { log: () => {} },
  });
  return { lines, home, sleep: (ms: number) => (offset += ms) };
}

describe('joinLaptop', () => {
  it('prints the five steps in order and only prints the login service without --install-service', async () => {
    const { lines, home } = await start(false);
    const ends = lines.filter((l) => /^\[\d\/5\] .*: (ok|skipped|failed)/.test(l));
    expect(ends.map((l) => l.slice(0, 5))).toEqual(['[1/5]', '[2/5]', '[3/5]', '[4/5]', '[5/5]']);
    expect(ends[1]).toContain('new Ed25519 key');
    expect(ends[4]).toContain('skipped');
    expect(lines.join('\n')).toContain('systemctl --user enable --now warren-node.service');
    expect(existsSync(join(home, '.config/systemd/user/warren-node.service'))).toBe(false);
  });

  it('writes the unit with --install-service', async () => {
    const { lines, home } = await start(true);
    expect(existsSync(join(home, '.config/systemd/user/warren-node.service'))).toBe(true);
    expect(lines.join('\n')).toContain('enable it with:');
  });

  it('heartbeats as soon as it notices it slept', async () => {
    const { sleep } = await start(false);
    await eventually(() => issuer!.stats.heartbeats >= 1, 'the first heartbeat', 5_000);
    const before = issuer!.stats.heartbeats;
    sleep(60_000);
    await eventually(() => issuer!.stats.heartbeats > before, 'a heartbeat after the wake', 5_000);
  });
});
