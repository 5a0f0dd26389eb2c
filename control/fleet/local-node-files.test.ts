// A local node's human name and its remembered listen port, as the local provider's command line gets them.
import { afterEach, describe, expect, it } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenArgs, localNodeName, rememberLocalNodePort } from './local-node-files.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A control data dir with empty folders for `ids` under nodes/, as the local provider makes them. */
function dataDir(...ids: string[]): string {
  dir = mkdtempSync(join(tmpdir(), 'warren-local-nodes-'));
  for (const id of ids) mkdirSync(join(dir, 'nodes', id), { recursive: true });
  return dir;
}

describe('Local node names', () => {
  it('gives each node the first free local-N once, keeps it, and reuses a name whose node is gone', () => {
    const base = join(dataDir('nd1', 'nd2', 'nd3'), 'nodes');
    expect(localNodeName(base, join(base, 'nd1'))).toBe('local-1');
    expect(localNodeName(base, join(base, 'nd2'))).toBe('local-2');
    expect(localNodeName(base, join(base, 'nd1'))).toBe('local-1');
    rmSync(join(base, 'nd1'), { recursive: true });
    expect(localNodeName(base, join(base, 'nd3'))).toBe('local-1');
  });
});

describe('Remembered listen ports', () => {
  it('starts a node on the port it had when that is free, on a fresh one when it is taken or unknown', () => {
    const data = dataDir('nd1');
    const node = join(data, 'nodes', 'nd1');
    expect(listenArgs('127.0.0.1', node)).toEqual(['--listen', '127.0.0.1:0']);

    const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const port = probe.port;
    rememberLocalNodePort(data, 'nd1', `http://127.0.0.1:${port}`);
    // Taken (by the probe): a fresh port, so the node still starts.
    expect(listenArgs('127.0.0.1', node)).toEqual(['--listen', '127.0.0.1:0']);
    probe.stop(true);
    // Free again: the same port, and a fresh mesh port (the default port + 1 may be anyone's).
    expect(listenArgs('127.0.0.1', node)).toEqual([
      '--listen',
      `127.0.0.1:${port}`,
      '--mesh-listen',
      '127.0.0.1:0',
    ]);
  });
});
