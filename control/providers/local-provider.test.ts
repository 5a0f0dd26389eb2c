// Tests of the local provider and the provisioning pipeline with real node processes on this host.
import { afterEach, describe, expect, it } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { ProgressEvent as ProgressEventSchema } from '../../contract/index.ts';
import { eventually, FakeClock } from '../../mesh/testing/index.ts';
import { createTailscaleApi, defaultTailscaleApiConfig } from '../tailscale/index.ts';
import { type FakeTailscaleApi, startFakeTailscaleApi } from '../tailscale/testing/index.ts';
import {
  createLocalProvider,
  deprovisionNode,
  type LocalNodeCommandInput,
  type ProgressEvent,
  ProviderError,
  provisionNode,
} from './index.ts';

/** A stand-in node process: records what it was given, says ready, and runs until stopped. */
const NODE_SCRIPT = `
const fs = require('node:fs');
fs.writeFileSync('started.json', JSON.stringify({ argv: process.argv.slice(2), token: process.env.WARREN_JOIN_TOKEN, key: process.env.WARREN_TAILNET_AUTH_KEY ?? null, exitWithParent: process.env.WARREN_EXIT_WITH_PARENT ?? null }));
fs.writeFileSync('ready', '');
setInterval(() => {}, 1000);
`;

function command(input: LocalNodeCommandInput) {
  return {
    argv: [
      process.execPath,
      '-e',
      NODE_SCRIPT,
      'node',
      'join',
      '--control',
      input.controlUrl,
      '--data-dir',
      input.dataDir,
    ],
    env: {
      WARREN_JOIN_TOKEN: input.joinToken,
      ...(input.tailnetAuthKey ? { WARREN_TAILNET_AUTH_KEY: input.tailnetAuthKey } : {}),
    },
  };
}

const waitReady = ({ dataDir }: { dataDir: string }) =>
  eventually(() => existsSync(join(dataDir, 'ready')), 'node ready', 10_000).then(() => {});

let baseDir: string;
let fake: FakeTailscaleApi | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
  if (baseDir) rmSync(baseDir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Local provider', () => {
  it('spawns a node process in its own data dir, lists it, and stops it on destroy', async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'warren-local-'));
    const provider = createLocalProvider({ baseDir, command, waitReady });
    const events: ProgressEvent[] = [];
    const node = await provider.create(
      { nodeId: 'nd-a', controlUrl: 'http://127.0.0.1:1', joinToken: 'wrn_join_a' },
      (e) => events.push(e),
    );
    const pid = Number(node.providerRef);
    expect(alive(pid)).toBe(true);
    const started = JSON.parse(readFileSync(join(baseDir, 'nd-a', 'started.json'), 'utf8'));
    expect(started.token).toBe('wrn_join_a');
    expect(started.argv).not.toContain('wrn_join_a');
    // Its stdin is a pipe this process holds: the node stops when it ends (this process died).
    expect(started.exitWithParent).toBe('1');
    expect(events.map((e) => `${e.step}:${e.state}`)).toEqual([
      'machine:started',
      'machine:done',
      'node_started:started',
      'node_started:done',
    ]);
    expect(await provider.list()).toEqual([node]);

    await provider.destroy('nd-a');
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(baseDir, 'nd-a'))).toBe(false);
    expect(await provider.list()).toEqual([]);
  });

  it('fails create with the exit code when the node exits before it is ready', async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'warren-local-'));
    const provider = createLocalProvider({
      baseDir,
      command: () => ({ argv: [process.execPath, '-e', 'process.exit(3)'] }),
      waitReady: () => new Promise(() => {}),
    });
    const events: ProgressEvent[] = [];
    const attempt = provider.create(
      { nodeId: 'nd-b', controlUrl: 'http://x', joinToken: 'wrn_join_b' },
      (e) => events.push(e),
    );
    await expect(attempt).rejects.toThrow(ProviderError);
    await expect(attempt).rejects.toThrow('exited with code 3');
    expect(events.at(-1)).toMatchObject({ step: 'node_started', state: 'failed' });
    expect(await provider.list()).toEqual([]);
  });

  it('kills a node that ignores SIGTERM after the grace period', async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'warren-local-'));
    const stubborn = `process.on('SIGTERM', () => {}); require('node:fs').writeFileSync('ready', ''); setInterval(() => {}, 1000);`;
    const provider = createLocalProvider({
      baseDir,
      command: () => ({ argv: [process.execPath, '-e', stubborn] }),
      waitReady,
      stopGraceMs: 200,
    });
    const node = await provider.create({ nodeId: 'nd-c', controlUrl: 'http://x', joinToken: 'wrn_join_c' });
    await provider.destroy('nd-c');
    expect(alive(Number(node.providerRef))).toBe(false);
  });
});

describe('Local provider resume', () => {
  const warnings: string[] = [];
  const log = {
    warn: (msg: string, fields?: Record<string, unknown>) =>
      warnings.push(JSON.stringify({ msg, ...fields })),
  };

  it('starts no second process for a node whose data dir a live process holds, and says which pid holds it', async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'warren-local-'));
    for (const id of ['nd-held', 'nd-free']) mkdirSync(join(baseDir, id));
    warnings.length = 0;
    const provider = createLocalProvider({
      baseDir,
      command,
      holder: (dataDir) => (dataDir.endsWith('nd-held') ? 4242 : undefined),
      heldWaitMs: 200,
      log,
    });
    try {
      const resumed = await provider.resume!();
      expect(resumed.map((n) => n.nodeId)).toEqual(['nd-free']);
      expect((await provider.list()).map((n) => n.nodeId)).toEqual(['nd-free']);
      expect(existsSync(join(baseDir, 'nd-held', 'started.json'))).toBe(false);
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ node: 'nd-held', pid: 4242 });
    } finally {
      await provider.shutdown!();
    }
  });

  it('starts a node whose holder lets go while it waits (one still stopping after its parent died)', async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'warren-local-'));
    mkdirSync(join(baseDir, 'nd-stopping'));
    warnings.length = 0;
    const freeAt = Date.now() + 300;
    const provider = createLocalProvider({
      baseDir,
      command,
      holder: () => (Date.now() < freeAt ? 4242 : undefined),
      heldWaitMs: 5_000,
      log,
    });
    try {
      const resumed = await provider.resume!();
      expect(resumed.map((n) => n.nodeId)).toEqual(['nd-stopping']);
      expect(warnings).toEqual([]);
    } finally {
      await provider.shutdown!();
    }
  });
});

describe('provisionNode / deprovisionNode', () => {
  it('mints the join token and a one-use tailnet key, starts the node, and reports steps in order', async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'warren-local-'));
    fake = startFakeTailscaleApi({ tailnet: 'acme.example', apiKeys: ['tskey-api-test'] });
    const tailscale = createTailscaleApi({
      ...defaultTailscaleApiConfig('acme.example', { kind: 'api-key', apiKey: 'tskey-api-test' }),
      baseUrl: fake.url,
    });
    const clock = new FakeClock(Date.UTC(2030, 0, 1));
    const minted: string[] = [];
    const deps = {
      provider: createLocalProvider({ baseDir, command, waitReady, clock }),
      controlUrl: 'http://127.0.0.1:1',
      mintJoinToken: async (nodeId: string) => {
        minted.push(nodeId);
        return { token: `wrn_join_${nodeId}`, expiresAt: new Date(clock.now() + 600_000) };
      },
      tailscale,
      clock,
    };
    const events: ProgressEvent[] = [];
    await provisionNode(deps, { nodeId: 'nd-p', ephemeral: true }, (e) => events.push(e));
    expect(events.map((e) => `${e.step}:${e.state}`)).toEqual([
      'join_token:started',
      'join_token:done',
      'tailnet_key:started',
      'tailnet_key:done',
      'machine:started',
      'machine:done',
      'node_started:started',
      'node_started:done',
    ]);
    expect(minted).toEqual(['nd-p']);
    // Every event is what the API streams (contract/provisioning.ts).
    for (const e of events) expect(v.is(ProgressEventSchema, e)).toBe(true);
    const started = JSON.parse(readFileSync(join(baseDir, 'nd-p', 'started.json'), 'utf8'));
    expect(started.key).toBe(fake.keys[0]?.key);
    expect(fake.keys[0]).toMatchObject({ reusable: false, ephemeral: true, tags: ['tag:warren-node'] });
    // No progress detail carries a secret.
    expect(JSON.stringify(events)).not.toContain(started.key);
    expect(JSON.stringify(events)).not.toContain('wrn_join_nd-p');

    // The node joins the tailnet with its key; deleting the node removes its device.
    fake.joinWithKey(started.key, 'nd-p');
    expect(fake.devices.size).toBe(1);
    const gone: ProgressEvent[] = [];
    await deprovisionNode(deps, 'nd-p', (e) => gone.push(e));
    expect(gone.map((e) => `${e.step}:${e.state}`)).toEqual([
      'machine_destroyed:done',
      'tailnet_device_removed:done',
    ]);
    expect(fake.devices.size).toBe(0);
    expect(await deps.provider.list()).toEqual([]);
  });
});
