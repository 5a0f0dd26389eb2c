// Node status driven by the control plane's own mesh member, in process: the member's changes re-evaluate a node
// at once (no sweep timer runs here), both when peers lose it and when they reach it again.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { KeyObject } from 'node:crypto';
import type { Jwks } from '../../contract/index.ts';
import {
  CertificateTrust,
  createMeshNode,
  createUdpTransport,
  localMeshConfig,
  type MeshNode,
} from '../../mesh/index.ts';
import { eventually, joinTestNode, startTestControl, type TestControl } from '../testing/index.ts';

/**
 * Deadlines, not speed claims: a lone suspicion lasts up to 6 × 400 ms with the local timings. The sweep timer is
 * set to an hour, so a status reached within these came from the member's change.
 */
const MESH_DEADLINE_MS = 5_000;

let control: TestControl;
let joined: Awaited<ReturnType<typeof joinTestNode>>;
let jwks: Jwks;
let incarnation = 1;
let member: MeshNode | undefined;

/** The node's mesh member, as a fresh life with a higher incarnation each time (a restart). */
async function startMember(): Promise<MeshNode> {
  const m = createMeshNode({
    transport: await createUdpTransport({ hostname: '127.0.0.1' }),
    identity: {
      origin: joined.nodeId,
      privateKey: KeyObject.from(joined.key.privateKey),
      certificate: joined.certificate,
    },
    trust: new CertificateTrust({ controlJwks: jwks, issuer: joined.issuer }),
    config: localMeshConfig(),
    incarnation: incarnation++,
  });
  m.publish('member', {
    nodeId: joined.nodeId,
    name: 'watched',
    meshAddress: m.address,
    proxyUrl: 'http://127.0.0.1:9',
    certificate: joined.certificate,
  });
  expect(await m.join([control.deps.mesh!.address])).toBe(1);
  return m;
}

const status = async () =>
  (await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: joined.nodeId } } })).data!.status;
const heartbeat = async () => {
  const r = await control.nodeClient(joined).POST('/api/v1/nodes/{id}/heartbeat', {
    params: { path: { id: joined.nodeId } },
    body: { workspaces: [] },
  });
  expect(r.response.status).toBe(200);
};
/** Waits for `until`, recording every status seen on the way. */
async function watch(until: string): Promise<string[]> {
  const seen: string[] = [];
  try {
    await eventually(
      async () => {
        const s = await status();
        if (seen.at(-1) !== s) seen.push(s);
        return s === until;
      },
      until,
      MESH_DEADLINE_MS,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message} (seen: ${seen.join(' → ')})`);
  }
  return seen;
}
const peerState = () => control.deps.mesh!.peerState(joined.nodeId);

beforeAll(async () => {
  control = await startTestControl({
    config: {
      meshListen: { host: '127.0.0.1', port: 0 },
      meshTimings: localMeshConfig(),
      heartbeatIntervalMs: 3_600_000,
    },
  });
  joined = await joinTestNode(control, { name: 'watched', address: 'http://127.0.0.1:9' });
  jwks = (await (await fetch(`${control.url}/.well-known/jwks.json`)).json()) as Jwks;
  member = await startMember();
  await eventually(() => peerState() === 'alive', 'the node alive to the control member', MESH_DEADLINE_MS);
});
afterAll(async () => {
  await member?.close();
  await control.stop();
});

describe('Liveness with the control plane member', () => {
  it('shows a node whose member stops answering offline once declared dead, never partitioned', async () => {
    await heartbeat();
    expect(await status()).toBe('online');
    // Closed without a leave: to its peers it simply stops answering, as if killed.
    await member!.close();
    member = undefined;
    const seen = await watch('offline');
    expect(peerState()).toBe('dead');
    expect(seen).not.toContain('partitioned');
  });

  it('shows it partitioned when it heartbeats while out of the mesh, and online once back in it', async () => {
    await heartbeat();
    expect(await status()).toBe('partitioned');
    member = await startMember();
    // No heartbeat in between: the member's change alone brings it back.
    const seen = await watch('online');
    for (const s of seen) expect(['partitioned', 'online']).toContain(s);
  });

  it('shows a node that leaves the mesh offline at once', async () => {
    // The member that just came back may still be under a suspicion from a probe a loaded machine answered late:
    // the test starts from a node alive to the control member and online.
    await eventually(() => peerState() === 'alive', 'the node alive to the control member', MESH_DEADLINE_MS);
    await heartbeat();
    await watch('online');
    member!.leave();
    const seen = await watch('offline');
    expect(peerState()).toBe('left');
    for (const s of seen) expect(['online', 'offline']).toContain(s);
  });
});
