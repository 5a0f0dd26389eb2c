// nodeConfigFromArgs: flags and environment into a NodeConfig; bad input names the flag.
import { describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, meshListen, nodeConfigFromArgs } from './config.ts';

describe('nodeConfigFromArgs', () => {
  it('reads every flag', () => {
    const c = nodeConfigFromArgs(
      [
        '--control',
        'http://127.0.0.1:7400/',
        '--join-token=wrn_join_x',
        '--name',
        'box',
        '--data',
        '/tmp/d',
        '--listen',
        '0.0.0.0:7421',
        '--network',
        'direct',
        '--laptop',
        '--capacity',
        '4',
      ],
      {},
    );
    expect(c.controlUrl).toBe('http://127.0.0.1:7400');
    expect(c.joinToken).toBe('wrn_join_x');
    expect(c.name).toBe('box');
    expect(c.dataDir).toBe('/tmp/d');
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 7421 });
    expect(c.laptop).toBe(true);
    expect(c.capacity).toBe(4);
  });

  it('names the node after its machine when --name is not given', () => {
    const c = nodeConfigFromArgs(['--control', 'http://127.0.0.1:7400'], {});
    expect(c.name).toBe(
      hostname()
        .replace(/[^A-Za-z0-9 ._-]/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '')
        .slice(0, 64) || 'node',
    );
  });

  it('binds the mesh member next to the proxy unless --mesh-listen says otherwise, and reads mesh timings', () => {
    const base = ['--control', 'http://127.0.0.1:7400', '--listen', '127.0.0.1:7420'];
    expect(meshListen(nodeConfigFromArgs(base, {}))).toEqual({ host: '127.0.0.1', port: 7421 });
    expect(meshListen(nodeConfigFromArgs([...base.slice(0, 2), '--listen', '127.0.0.1:0'], {}))).toEqual({
      host: '127.0.0.1',
      port: 0,
    });
    const c = nodeConfigFromArgs([...base, '--mesh-listen', '100.64.0.7:7946'], {
      WARREN_MESH_PROFILE: 'local',
      WARREN_MESH_CONFIG: '{"probeIntervalMs":250}',
    });
    expect(meshListen(c)).toEqual({ host: '100.64.0.7', port: 7946 });
    expect(c.mesh.timings.probeIntervalMs).toBe(250);
    expect(c.mesh.timings.gossipIntervalMs).toBe(20);
    expect(() => nodeConfigFromArgs([...base, '--mesh-listen', 'nope'], {})).toThrow(/--mesh-listen/);
    expect(() => nodeConfigFromArgs(base, { WARREN_MESH_PROFILE: 'fast' })).toThrow(/WARREN_MESH_PROFILE/);
    expect(() => nodeConfigFromArgs(base, { WARREN_MESH_CONFIG: '{"probeIntervalMs":-1}' })).toThrow(
      /probeIntervalMs/,
    );
    expect(() => nodeConfigFromArgs(base, { WARREN_MESH_CONFIG: '{"bogus":1}' })).toThrow(
      /unknown knob bogus/,
    );
  });

  it('outlives its parent unless --exit-with-parent or WARREN_EXIT_WITH_PARENT (what `warren up` sets)', () => {
    const base = ['--control', 'http://127.0.0.1:7400'];
    expect(nodeConfigFromArgs(base, {}).exitWithParent).toBe(false);
    expect(nodeConfigFromArgs([...base, '--exit-with-parent'], {}).exitWithParent).toBe(true);
    expect(nodeConfigFromArgs(base, { WARREN_EXIT_WITH_PARENT: '1' }).exitWithParent).toBe(true);
    expect(() => nodeConfigFromArgs(base, { WARREN_EXIT_WITH_PARENT: 'yes' })).toThrow(
      /WARREN_EXIT_WITH_PARENT/,
    );
  });

  it('takes forward deadlines and limits from WARREN_FORWARD_CONFIG and names a bad knob', () => {
    const base = ['--control', 'http://127.0.0.1:7400'];
    expect(nodeConfigFromArgs(base, {}).forward.connectTimeoutMs).toBe(2_000);
    const c = nodeConfigFromArgs(base, { WARREN_FORWARD_CONFIG: '{"connectTimeoutMs":500}' });
    expect(c.forward.connectTimeoutMs).toBe(500);
    expect(c.forward.firstByteTimeoutMs).toBe(10_000);
    for (const bad of ['{"connectTimeoutMs":0}', '{"bogus":1}', 'nope', '{"maxInFlightPerHost":1.5}'])
      expect(() => nodeConfigFromArgs(base, { WARREN_FORWARD_CONFIG: bad })).toThrow(/WARREN_FORWARD_CONFIG/);
  });

  it('keeps path-mode cookies off unless --allow-path-apps or WARREN_ALLOW_PATH_APPS, and checks the base domain', () => {
    const base = ['--control', 'http://127.0.0.1:7400'];
    expect(nodeConfigFromArgs(base, {}).allowPathApps).toBe(false);
    expect(nodeConfigFromArgs([...base, '--allow-path-apps'], {}).allowPathApps).toBe(true);
    expect(nodeConfigFromArgs([...base, '--allow-path-apps=false'], {}).allowPathApps).toBe(false);
    expect(nodeConfigFromArgs(base, { WARREN_ALLOW_PATH_APPS: '1' }).allowPathApps).toBe(true);
    expect(() => nodeConfigFromArgs(base, { WARREN_ALLOW_PATH_APPS: 'yes' })).toThrow(
      /WARREN_ALLOW_PATH_APPS/,
    );
    expect(nodeConfigFromArgs([...base, '--base-domain', 'apps.example.com'], {}).baseDomain).toBe(
      'apps.example.com',
    );
    expect(() => nodeConfigFromArgs([...base, '--base-domain', 'apps.example.com.'], {})).toThrow(
      /--base-domain/,
    );
  });

  it('takes --token as the control plane prints it in join commands', () => {
    const c = nodeConfigFromArgs(['--control', 'http://127.0.0.1:7400', '--token', 'wrn_join_y'], {});
    expect(c.joinToken).toBe('wrn_join_y');
  });

  it('falls back to the environment', () => {
    const c = nodeConfigFromArgs([], { WARREN_CONTROL_URL: 'http://127.0.0.1:1', WARREN_JOIN_TOKEN: 't' });
    expect(c.controlUrl).toBe('http://127.0.0.1:1');
    expect(c.joinToken).toBe('t');
    expect(c.laptop).toBe(false);
  });

  it('takes the agent turn watchdog from WARREN_AGENT_TURN_IDLE_TIMEOUT_MS and refuses nonsense', () => {
    const base = ['--control', 'http://127.0.0.1:1'];
    expect(nodeConfigFromArgs(base, {}).agent.turnIdleTimeoutMs).toBe(300_000);
    expect(
      nodeConfigFromArgs(base, { WARREN_AGENT_TURN_IDLE_TIMEOUT_MS: '2500' }).agent.turnIdleTimeoutMs,
    ).toBe(2500);
    expect(() => nodeConfigFromArgs(base, { WARREN_AGENT_TURN_IDLE_TIMEOUT_MS: 'soon' })).toThrow(
      'WARREN_AGENT_TURN_IDLE_TIMEOUT_MS',
    );
    expect(() => nodeConfigFromArgs(base, { WARREN_AGENT_TURN_IDLE_TIMEOUT_MS: '5' })).toThrow(
      'WARREN_AGENT_TURN_IDLE_TIMEOUT_MS',
    );
  });

  it('takes the workspace log bounds from WARREN_WORKSPACE_LOG_MAX_BYTES and _FILES and refuses nonsense', () => {
    const base = ['--control', 'http://127.0.0.1:1'];
    expect(nodeConfigFromArgs(base, {}).runtime.logs).toBeUndefined();
    expect(
      nodeConfigFromArgs(base, { WARREN_WORKSPACE_LOG_MAX_BYTES: '65536', WARREN_WORKSPACE_LOG_FILES: '3' })
        .runtime.logs,
    ).toEqual({ maxBytes: 65536, files: 3 });
    expect(nodeConfigFromArgs(base, { WARREN_WORKSPACE_LOG_FILES: '4' }).runtime.logs).toEqual({
      maxBytes: 1024 * 1024,
      files: 4,
    });
    expect(() => nodeConfigFromArgs(base, { WARREN_WORKSPACE_LOG_MAX_BYTES: '10' })).toThrow(
      'WARREN_WORKSPACE_LOG_MAX_BYTES',
    );
    expect(() => nodeConfigFromArgs(base, { WARREN_WORKSPACE_LOG_FILES: 'two' })).toThrow(
      'WARREN_WORKSPACE_LOG_FILES',
    );
  });

  it('takes the converge window from WARREN_MESH_CONVERGE_WINDOW_MS and refuses nonsense', () => {
    const base = ['--control', 'http://127.0.0.1:1'];
    expect(nodeConfigFromArgs(base, {}).mesh.convergeWindowMs).toBe(30_000);
    expect(nodeConfigFromArgs(base, { WARREN_MESH_CONVERGE_WINDOW_MS: '2000' }).mesh.convergeWindowMs).toBe(
      2000,
    );
    for (const bad of ['soon', '-1', '1.5', '3600000'])
      expect(() => nodeConfigFromArgs(base, { WARREN_MESH_CONVERGE_WINDOW_MS: bad })).toThrow(
        'WARREN_MESH_CONVERGE_WINDOW_MS',
      );
  });

  it('reads what a cloud node unit sets: WARREN_DATA_DIR and the join token from WARREN_JOIN_TOKEN_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-cfg-'));
    const file = join(dir, 'join-token');
    writeFileSync(file, 'wrn_join_fromfile\n');
    const c = nodeConfigFromArgs(['--network', 'tailscale', '--tailscale-socket', '/run/ts.sock'], {
      WARREN_CONTROL_URL: 'http://127.0.0.1:1',
      WARREN_DATA_DIR: '/var/lib/warren',
      WARREN_JOIN_TOKEN_FILE: file,
    });
    expect(c.joinToken).toBe('wrn_join_fromfile');
    expect(c.joinTokenFile).toBe(file);
    expect(c.dataDir).toBe('/var/lib/warren');
    expect(c.network).toBe('tailscale');
    expect(c.tailscaleSocket).toBe('/run/ts.sock');
    // Once joined the file is gone; the node resumes from its data dir without a token.
    rmSync(file);
    const again = nodeConfigFromArgs([], { WARREN_CONTROL_URL: 'http://x', WARREN_JOIN_TOKEN_FILE: file });
    expect(again.joinToken).toBeUndefined();
    writeFileSync(file, '  ');
    expect(() =>
      nodeConfigFromArgs([], { WARREN_CONTROL_URL: 'http://x', WARREN_JOIN_TOKEN_FILE: file }),
    ).toThrow('is empty');
    rmSync(dir, { recursive: true });
  });

  const bad: [string[], string][] = [
    [[], '--control (or WARREN_CONTROL_URL) is required'],
    [['--control', 'ftp://x'], '--control'],
    [['--control', 'http://x', '--listen', 'nope'], '--listen (or WARREN_NODE_LISTEN): must be host:port'],
    [['--control', 'http://x', '--listen', 'a:70000'], 'port must be at most 65535'],
    [['--control', 'http://x', '--network', 'carrier-pigeon'], '--network'],
    [['--control', 'http://x', '--bogus', '1'], 'unknown flag --bogus'],
    [['--control', 'http://x', '--capacity', 'many'], '--capacity'],
  ];
  for (const [args, message] of bad) {
    it(`fails on ${args.join(' ') || 'no arguments'}`, () => {
      expect(() => nodeConfigFromArgs(args, {})).toThrow(ConfigError);
      expect(() => nodeConfigFromArgs(args, {})).toThrow(message);
    });
  }
});
