// A real node process with `--network tailscale` against a stand-in tailscaled (LocalAPI on a unix socket): it
// joins advertising its tailnet address, and refuses to start when tailscaled is not logged in.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventually, startTestControl, type TestControl } from '../control/testing/index.ts';
import { type FakeLocalApi, startFakeLocalApi, tempDataDir } from '../node/testing/index.ts';

const ROOT = resolve(import.meta.dir, '..');
let control: TestControl;
const fakes: FakeLocalApi[] = [];
const procs: ReturnType<typeof Bun.spawn>[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  control = await startTestControl({ config: { heartbeatIntervalMs: 300 } });
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  for (const f of fakes) await f.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await control.stop();
});

async function joinToken(): Promise<string> {
  return (await control.client.POST('/api/v1/join-tokens', { body: {} })).data!.token;
}

function startNode(socketPath: string, token: string) {
  const dir = tempDataDir();
  dirs.push(dir);
  const proc = Bun.spawn(
    [
      process.execPath,
      join(ROOT, 'cli/main.ts'),
      'node',
      'join',
      '--control',
      control.url,
      '--data',
      dir,
      '--listen',
      '127.0.0.1:0',
      '--network',
      'tailscale',
      '--tailscale-socket',
      socketPath,
    ],
    { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, WARREN_JOIN_TOKEN: token } },
  );
  procs.push(proc);
  return proc;
}

describe('warren node join --network tailscale', () => {
  it('asks tailscaled for this machine and joins advertising its tailnet address', async () => {
    const fake = startFakeLocalApi({
      self: {
        stableId: 'nSELF1CNTRL',
        nodeId: 7,
        hostName: 'box',
        ips: ['100.101.102.103', 'fd7a:115c:a1e0::7'],
      },
    });
    fakes.push(fake);
    const proc = startNode(fake.socketPath, await joinToken());
    const ready = await eventually(
      async () => {
        const nodes = (await control.client.GET('/api/v1/nodes')).data!.items;
        return nodes.find((n) => n.address.startsWith('http://100.101.102.103:'));
      },
      'the node joined with its tailnet address',
      20_000,
    );
    expect(ready!.address).toMatch(/^http:\/\/100\.101\.102\.103:\d+$/);
    expect(ready!.address).not.toContain(':0');
    expect(fake.seen.some((r) => r.path === '/localapi/v0/status')).toBe(true);
    expect(proc.exitCode).toBeNull();
  });

  it('refuses to start when tailscaled is not logged in, saying so', async () => {
    const fake = startFakeLocalApi({
      self: { stableId: 'nX', nodeId: 8, hostName: 'x', ips: [] },
      backendState: 'NeedsLogin',
    });
    fakes.push(fake);
    const token = await joinToken();
    const proc = startNode(fake.socketPath, token);
    expect(await proc.exited).not.toBe(0);
    const err = await new Response(proc.stderr).text();
    expect(err).toContain('tailscale up');
    // The token was not spent: no node joined with it.
    const nodes = (await control.client.GET('/api/v1/nodes')).data!.items;
    expect(nodes.length).toBe(1);
  });
});
