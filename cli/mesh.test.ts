// `warren mesh status` finds the node's admin credential from --data (a node's or `warren up`'s) or a file.
import { afterAll, describe, expect, it } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render, resolveTarget } from './mesh.ts';

const root = mkdtempSync(join(tmpdir(), 'warren-mesh-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const CRED_A = `wrn_node_${'a'.repeat(43)}`;
const CRED_B = `wrn_node_${'b'.repeat(43)}`;

// A node's own data dir.
const nodeDir = join(root, 'node');
mkdirSync(nodeDir);
writeFileSync(join(nodeDir, 'admin-credential'), `${CRED_A}\n`);
// A `warren up` data dir: up.json and each node's data dir under nodes/<id>/node.
const upDir = join(root, 'up');
for (const [id, cred] of [
  ['nd-a', CRED_A],
  ['nd-b', CRED_B],
] as const) {
  mkdirSync(join(upDir, 'nodes', id, 'node'), { recursive: true });
  writeFileSync(join(upDir, 'nodes', id, 'node', 'admin-credential'), `${cred}\n`);
}
writeFileSync(
  join(upDir, 'up.json'),
  JSON.stringify({
    controlUrl: 'http://127.0.0.1:7400',
    adminToken: 'x',
    nodes: [
      { id: 'nd-a', url: 'http://127.0.0.1:7501' },
      { id: 'nd-b', url: 'http://127.0.0.1:7502' },
    ],
  }),
);

describe('warren mesh status', () => {
  it("reads the credential from a node's data dir", () => {
    expect(resolveTarget({ data: nodeDir })).toEqual({ base: 'http://127.0.0.1:7420', token: CRED_A });
    expect(resolveTarget({ data: nodeDir, node: 'http://10.0.0.1:7420/' })).toEqual({
      base: 'http://10.0.0.1:7420',
      token: CRED_A,
    });
  });

  it('reads the credential of the node it talks to from a `warren up` data dir', () => {
    expect(resolveTarget({ data: upDir })).toEqual({ base: 'http://127.0.0.1:7501', token: CRED_A });
    expect(resolveTarget({ data: upDir, node: 'http://127.0.0.1:7502' })).toEqual({
      base: 'http://127.0.0.1:7502',
      token: CRED_B,
    });
    const missing = resolveTarget({ data: upDir, node: 'http://127.0.0.1:9999' });
    expect('error' in missing && missing.error).toContain('lists no node at http://127.0.0.1:9999');
  });

  it('reads --credential-file and passes --token as it is', () => {
    const file = join(nodeDir, 'admin-credential');
    expect(resolveTarget({ 'credential-file': file })).toEqual({
      base: 'http://127.0.0.1:7420',
      token: CRED_A,
    });
    expect(resolveTarget({ token: 'command-jwt' })).toEqual({
      base: 'http://127.0.0.1:7420',
      token: 'command-jwt',
    });
  });

  it('says in one line what to pass when it has no proof, or the wrong kind of dir', () => {
    const none = resolveTarget({});
    expect('error' in none && none.error).toMatch(/^[^\n]*--data DIR[^\n]*--credential-file FILE[^\n]*$/);
    const empty = resolveTarget({ data: root });
    expect('error' in empty && empty.error).toContain('holds neither admin-credential');
    const both = resolveTarget({ data: nodeDir, token: 't' });
    expect('error' in both && both.error).toContain('only one of');
  });

  it('says when the registry has not synced since the node started', () => {
    const status = (synced: boolean) => ({
      id: 'nd-a',
      address: '127.0.0.1:7421',
      protocolVersion: 1,
      incarnation: 1,
      awareness: 0,
      members: [],
      memberStates: { alive: 1 },
      registry: { digest: {}, entries: { workspace: 0 }, tombstones: 0, synced },
      metrics: {
        gossipBytesIn: 0,
        gossipBytesOut: 0,
        suspicions: 0,
        deaths: 0,
        refutations: 0,
        droppedEntries: {},
      },
    });
    expect(render(status(false))).toContain('0 tombstones, not in sync yet');
    expect(render(status(true))).not.toContain('not in sync');
  });
});
