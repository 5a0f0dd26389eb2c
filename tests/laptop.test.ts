// A laptop as a node, end to end: `warren node join --laptop` prints its steps and installs nothing unless asked;
// stopped (SIGSTOP, as in sleep) it goes awaiting_agent with its workspace unreachable, and resumed (SIGCONT) it
// comes back with the workspace re-registered.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestControl, type TestControl } from '../control/testing/index.ts';
import { ECHO_APP, tempDataDir } from '../node/testing/index.ts';
import { NODE_READY, startWarren } from './testing/index.ts';

let control: TestControl;
const procs: ReturnType<typeof Bun.spawn>[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  // Short liveness thresholds so a stopped laptop is noticed within the test; the rule is the same.
  control = await startTestControl({
    config: { heartbeatIntervalMs: 200, degradedAfterMs: 600, offlineAfterMs: 1_200 },
  });
});
afterAll(async () => {
  // SIGTERM, not SIGKILL: the node ends its workspaces' processes as it stops, so no app outlives the test.
  for (const p of procs) {
    p.kill('SIGCONT');
    p.kill('SIGTERM');
  }
  const killer = setTimeout(() => {
    for (const p of procs) p.kill('SIGKILL');
  }, 10_000);
  await Promise.all(procs.map((p) => p.exited));
  clearTimeout(killer);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await control.stop();
});

/** Starts `warren node join --laptop …` with HOME in a temp dir; resolves with its output up to the ready line. */
async function startLaptop(extra: string[]) {
  const home = mkdtempSync(join(tmpdir(), 'warren-home-'));
  const data = tempDataDir();
  dirs.push(home, data);
  const token = (await control.client.POST('/api/v1/join-tokens', { body: {} })).data!.token;
  const { proc, out, ready } = await startWarren<{ nodeId: string; url: string }>(
    [
      'node',
      'join',
      '--laptop',
      '--control',
      control.url,
      '--data',
      data,
      '--listen',
      '127.0.0.1:0',
      '--name',
      'my-laptop',
      ...extra,
    ],
    NODE_READY,
    'the laptop node ready',
    { env: { HOME: home, WARREN_JOIN_TOKEN: token }, timeoutMs: 20_000 },
  );
  procs.push(proc);
  return { proc, home, out, ...ready };
}

describe('warren node join --laptop', () => {
  let laptop: Awaited<ReturnType<typeof startLaptop>>;

  beforeAll(async () => {
    laptop = await startLaptop([]);
  }, 30_000);

  it('prints every step in order and installs nothing without --install-service', () => {
    const lines = laptop.out.split('\n');
    const ends = lines.filter((l) => /^\[\d\/5\] .*: (ok|skipped|failed)/.test(l));
    expect(ends.map((l) => l.slice(0, 5))).toEqual(['[1/5]', '[2/5]', '[3/5]', '[4/5]', '[5/5]']);
    expect(ends[0]).toContain('Check tailscale: skipped');
    expect(ends[2]).toContain(`Join the control plane: ok (node ${laptop.nodeId}`);
    expect(ends[4]).toContain('Run at login: skipped');
    expect(laptop.out).toContain('systemctl --user enable --now warren-node.service');
    expect(laptop.out).toContain('ExecStart=');
    expect(laptop.out).not.toContain('wrn_join_');
    expect(existsSync(join(laptop.home, '.config/systemd/user/warren-node.service'))).toBe(false);
  });

  it('goes awaiting_agent while stopped and comes back with its workspace re-registered', async () => {
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'lap' } });
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: {
        projectId: project.data!.id,
        name: 'w',
        nodeId: laptop.nodeId,
        appCommand: `exec ${process.execPath} ${ECHO_APP}`,
      },
    });
    const id = ws.data!.id;
    const status = async () =>
      (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } })).data?.status;
    const nodeStatus = async () =>
      (await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: laptop.nodeId } } })).data
        ?.status;
    await eventually(async () => (await status()) === 'running', 'the workspace running', 20_000);

    laptop.proc.kill('SIGSTOP');
    await eventually(async () => (await nodeStatus()) === 'awaiting_agent', 'awaiting_agent', 20_000);
    expect(await status()).toBe('unreachable');

    laptop.proc.kill('SIGCONT');
    await eventually(async () => (await nodeStatus()) === 'online', 'the laptop online again', 20_000);
    await eventually(async () => (await status()) === 'running', 'the workspace running again', 20_000);
  }, 60_000);

  it('writes the systemd user unit with --install-service, without the join token, and enables nothing', async () => {
    const second = await startLaptop(['--install-service']);
    const unit = join(second.home, '.config/systemd/user/warren-node.service');
    expect(second.out).toContain(`Run at login: ok (written ${unit})`);
    const text = readFileSync(unit, 'utf8');
    expect(text).toContain('ExecStart=');
    expect(text).toContain('--laptop');
    expect(text).toContain('WARREN_CONTROL_URL=');
    expect(text).not.toContain('wrn_join_');
    expect(text).not.toContain('--join-token');
    // Enabling stays the person's step.
    expect(second.out).toContain('enable it with:');
  }, 30_000);
});
