// Node status with real node processes and the real control plane on loopback: a node stopped with SIGTERM leaves
// the mesh and is offline (a laptop awaiting_agent) at once; one killed with SIGKILL is offline once its peers
// declare it dead, without ever showing partitioned. (A node cut off while it heartbeats: tests/mesh-netns.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import { eventually } from '../node/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';
import {
  type ControlProc,
  type NodeProc,
  startControlProcess,
  startNodeProcess,
  stopProcess,
  TEST_MESH_ENV,
} from './mesh-harness.ts';

const env = TEST_MESH_ENV;
/**
 * Deadlines, not speed claims. Heartbeat age alone would take 30 s (3 heartbeat intervals) to say anything, so a
 * status reached well before that came from the mesh. A kill is detected within the suspicion window without
 * confirmations (6 × the 1 s minimum), plus a probe round and gossip.
 */
const LEFT_DEADLINE_MS = 10_000;
const DEAD_DEADLINE_MS = 6 * 1_000 + 2_000 + 5_000;

let control: ControlProc;
let client: ReturnType<typeof createControlClient>;
const nodes: NodeProc[] = [];
const byName = (n: string) => nodes.find((x) => x.name === n) as NodeProc;

const statusOf = async (n: NodeProc) =>
  (await client.GET('/api/v1/nodes/{id}', { params: { path: { id: n.nodeId } } })).data?.status;

/** Polls the node's status until `until`, recording every value seen (each change once). */
async function watch(n: NodeProc, until: string, deadlineMs: number): Promise<string[]> {
  const seen: string[] = [];
  try {
    await eventually(
      async () => {
        const s = (await statusOf(n)) ?? 'missing';
        if (seen.at(-1) !== s) seen.push(s);
        return s === until;
      },
      `${n.name} ${until}`,
      deadlineMs,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message} (seen: ${seen.join(' → ')})`);
  }
  return seen;
}

/** The state of `of` in the mesh as `at` sees it, asked with `at`'s admin credential. */
async function stateAt(at: NodeProc, of: NodeProc) {
  const r = await fetch(`${at.url}/_node/members`, {
    headers: { authorization: `Bearer ${at.adminCredential}` },
  });
  const view = (await r.json()) as { members: { id: string; state: string }[] };
  return view.members.find((m) => m.id === of.nodeId)?.state;
}

beforeAll(async () => {
  control = await startControlProcess({ env });
  client = createControlClient(control.url, { token: control.adminToken });
  const started = await Promise.all(
    (['a', 'b', 'stopped', 'laptop', 'killed'] as const).map(async (name) => {
      const jt = await client.POST('/api/v1/join-tokens', { body: { laptop: name === 'laptop' } });
      return startNodeProcess({ controlUrl: control.url, joinToken: jt.data!.token, name, env });
    }),
  );
  nodes.push(...started);
  // Every node online, and every member alive in the control plane's view as in a peer's.
  await eventually(
    async () => {
      for (const n of nodes) if ((await statusOf(n)) !== 'online') return false;
      for (const n of nodes) if ((await stateAt(byName('a'), n)) !== 'alive') return false;
      const members = (await client.GET('/api/v1/mesh')).data?.members ?? [];
      return nodes.every((n) => members.some((m) => m.id === n.nodeId && m.state === 'alive'));
    },
    'every node online and alive in the mesh',
    20_000,
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => stopProcess(n)));
  await stopProcess(control);
  for (const n of nodes) rmSync(n.dataDir, { recursive: true, force: true });
  if (control) rmSync(control.dataDir, { recursive: true, force: true });
});

describe('Node status with real processes', () => {
  it('shows a node stopped with SIGTERM offline promptly, straight from online', async () => {
    const n = byName('stopped');
    expect(await statusOf(n)).toBe('online');
    n.kill('SIGTERM');
    const seen = await watch(n, 'offline', LEFT_DEADLINE_MS);
    expect(await n.exited).toBe(0);
    // Often offline by the first look already; never anything between.
    for (const s of seen) expect(['online', 'offline']).toContain(s);
  }, 30_000);

  it('shows a laptop stopped with SIGTERM awaiting_agent promptly, never offline', async () => {
    const n = byName('laptop');
    expect(await statusOf(n)).toBe('online');
    n.kill('SIGTERM');
    const seen = await watch(n, 'awaiting_agent', LEFT_DEADLINE_MS);
    expect(await n.exited).toBe(0);
    for (const s of seen) expect(['online', 'awaiting_agent']).toContain(s);
  }, 30_000);

  it('shows a node killed with SIGKILL offline once its peers declare it dead, never partitioned', async () => {
    const n = byName('killed');
    expect(await statusOf(n)).toBe('online');
    n.kill('SIGKILL');
    await n.exited;
    const seen = await watch(n, 'offline', DEAD_DEADLINE_MS);
    // Gone because the mesh declared it dead (the control plane's member first), not because heartbeats aged.
    const members = (await client.GET('/api/v1/mesh')).data!.members;
    expect(members.find((m) => m.id === n.nodeId)?.state).toBe('dead');
    await eventually(async () => (await stateAt(byName('a'), n)) === 'dead', 'A to agree', DEAD_DEADLINE_MS);
    expect(seen).not.toContain('partitioned');
    // On the way it may be suspect (the mesh was still checking), nothing else.
    for (const s of seen) expect(['online', 'suspect', 'offline']).toContain(s);
  }, 30_000);
});
