// A copied node certificate is no credential: every node call needs a fresh proof signed with the node's own key.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import {
  createTestNodeKey,
  joinTestNode,
  nodeHeaders,
  type ProofFor,
  type PushRecorder,
  signNodeProof,
  startPushRecorder,
  startTestControl,
  type TestControl,
} from '../testing/index.ts';

let control: TestControl;
/** Where the victim node listens, and a server of the attacker's own. */
let victimHost: PushRecorder;
let attackerHost: PushRecorder;
let victim: Awaited<ReturnType<typeof joinTestNode>>;
let workspaceId: string;
let taskId: string;

beforeAll(async () => {
  control = await startTestControl();
  victimHost = startPushRecorder();
  attackerHost = startPushRecorder();
  victim = await joinTestNode(control, { name: 'victim', address: victimHost.url });
  const project = await control.client.POST('/api/v1/projects', { body: { name: 'proofs' } });
  const ws = await control.client.POST('/api/v1/workspaces', {
    body: { name: 'secret', projectId: project.data!.id, nodeId: victim.nodeId, env: { SECRET: 's3cr3t' } },
  });
  workspaceId = ws.data!.id;
  const task = await control.client.POST('/api/v1/tasks', {
    body: { projectId: project.data!.id, prompt: 'prove it' },
  });
  taskId = task.data!.id;
  // As if dispatched to the victim's workspace: only the victim may report its end.
  await control.deps.database.client.execute({
    sql: "UPDATE tasks SET node_id = ?, workspace_id = ?, status = 'running' WHERE id = ?",
    args: [victim.nodeId, workspaceId, taskId],
  });
});
afterAll(async () => {
  await victimHost.stop();
  await attackerHost.stop();
  await control.stop();
});

/** The four node calls, each with the body a node would send (exact bytes, so proofs can be made for them). */
const calls = () => ({
  heartbeat: {
    method: 'POST',
    path: `/api/v1/nodes/${victim.nodeId}/heartbeat`,
    body: JSON.stringify({ workspaces: [{ id: workspaceId, status: 'running' }], address: attackerHost.url }),
  },
  gitToken: { method: 'POST', path: `/api/v1/workspaces/${workspaceId}/git-token` },
  activity: {
    method: 'POST',
    path: `/api/v1/workspaces/${workspaceId}/activity`,
    body: JSON.stringify({ type: 'agent.note', message: 'forged' }),
  },
  taskReport: {
    method: 'POST',
    path: `/api/v1/tasks/${taskId}/report`,
    body: JSON.stringify({ status: 'completed', summary: 'forged' }),
  },
});
type Call = ReturnType<typeof calls>[keyof ReturnType<typeof calls>];

/** Sends `call` with `headers` (and the JSON content type when it has a body); answers status and error. */
async function send(call: Call, headers: Record<string, string>) {
  const body = 'body' in call ? call.body : undefined;
  const res = await fetch(`${control.url}${call.path}`, {
    method: call.method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
  const json = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, error: json.error, json };
}

/** The victim's certificate as anyone reads it in the registry, with a proof made by `sign` for `proof`. */
const stolen = async (proof: ProofFor, key: { privateKey: CryptoKey } = victim.key) => ({
  authorization: `Bearer ${victim.certificate}`,
  'warren-node-proof': await signNodeProof(key.privateKey, proof),
});

const expect401 = (r: { status: number; error?: { code: string; message: string } }, message: string) => {
  expect(r.status).toBe(401);
  expect(r.error?.code).toBe('unauthorized');
  expect(r.error?.message).toContain(message);
};

async function victimState() {
  const node = await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: victim.nodeId } } });
  const log = await control.client.GET('/api/v1/workspaces/{id}/activity', {
    params: { path: { id: workspaceId } },
  });
  const task = await control.client.GET('/api/v1/tasks/{id}', { params: { path: { id: taskId } } });
  return {
    address: node.data!.address,
    forged: log.data!.items.filter((e) => e.message === 'forged').length,
    task: task.data!.status,
  };
}

describe('Node proof of possession', () => {
  it('refuses a stolen certificate without a proof on heartbeat, git-token, activity and task report', async () => {
    for (const call of Object.values(calls())) {
      const r = await send(call, { authorization: `Bearer ${victim.certificate}` });
      expect401(r, 'requires a proof (warren-node-proof header)');
      // No env, no token, nothing in the answer but the error.
      expect(JSON.stringify(r.json)).not.toContain('s3cr3t');
    }
    const byNode = await send(
      { method: 'GET', path: '/api/v1/revocations' },
      {
        authorization: `Bearer ${victim.certificate}`,
      },
    );
    expect(byNode.status).toBe(401);
    // The address stays the victim's, the log and the task untouched.
    expect(await victimState()).toEqual({ address: victimHost.url, forged: 0, task: 'running' });
  });

  it("refuses a proof signed by another key than the certificate's", async () => {
    const attacker = await createTestNodeKey();
    for (const call of Object.values(calls())) {
      const r = await send(call, await stolen(call, attacker));
      expect401(r, "not signed by the certificate's key");
    }
    expect(await victimState()).toEqual({ address: victimHost.url, forged: 0, task: 'running' });
  });

  it('refuses a proof made for another path, method or body', async () => {
    const c = calls();
    // A proof the victim made for its own heartbeat (say, seen in a log) does not carry over.
    const ownBeat = { ...c.heartbeat, body: JSON.stringify({ workspaces: [] }) };
    expect401(await send(c.activity, await stolen({ ...ownBeat, body: c.activity.body })), 'another path');
    expect401(await send(c.heartbeat, await stolen({ ...ownBeat, method: 'PUT' })), 'another method');
    expect401(await send(c.heartbeat, await stolen(ownBeat)), 'another body');
    expect401(await send(c.gitToken, await stolen({ ...c.gitToken, body: '{}' })), 'another body');
    expect401(
      await send(c.taskReport, await stolen({ ...c.taskReport, path: `${c.taskReport.path}?x=1` })),
      'another path',
    );
    expect(await victimState()).toEqual({ address: victimHost.url, forged: 0, task: 'running' });
  });

  it('refuses a replayed proof, however often it comes back', async () => {
    const call = calls().activity;
    const headers = await nodeHeaders(victim, call);
    expect((await send(call, headers)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect401(await send(call, headers), 'already used');
    expect((await victimState()).forged).toBe(1);
    // Another proof of the same request is fine: each proof is used once, not each request.
    expect((await send(call, await nodeHeaders(victim, call))).status).toBe(200);
    await control.deps.database.client.execute("DELETE FROM activity_events WHERE message = 'forged'");
  });

  it('refuses a proof dated outside the window, past or future', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const call of Object.values(calls())) {
      expect401(await send(call, await stolen({ ...call, iat: now - 120 })), 'outside the window');
      expect401(await send(call, await stolen({ ...call, iat: now + 120 })), 'outside the window');
    }
    expect(await victimState()).toEqual({ address: victimHost.url, forged: 0, task: 'running' });
  });

  it('digests the body bytes as received, not the JSON re-encoded', async () => {
    const c = calls();
    // Spacing and an escape JSON.stringify would not write: only the received bytes match the proof.
    const spaced = { ...c.activity, body: '{ "type": "agent.note",\n  "message": "\\u0066orged" }' };
    expect((await send(spaced, await nodeHeaders(victim, spaced))).status).toBe(200);
    const reencoded = JSON.stringify(JSON.parse(spaced.body));
    expect401(await send(spaced, await stolen({ ...spaced, body: reencoded })), 'another body');
    await control.deps.database.client.execute("DELETE FROM activity_events WHERE message = 'forged'");
  });

  it('accepts a proper proof on each call, and only then moves the node address', async () => {
    const c = calls();
    const home = {
      ...c.heartbeat,
      body: JSON.stringify({ workspaces: [{ id: workspaceId, status: 'running' }] }),
    };
    const beat = await send(home, await nodeHeaders(victim, home));
    expect(beat.status).toBe(200);
    expect(JSON.stringify(beat.json)).toContain('s3cr3t');
    expect((await send(c.activity, await nodeHeaders(victim, c.activity))).status).toBe(200);
    // Past the proof the git-token route answers for itself: GitHub is off here (the 200 is in github-repos.test.ts).
    const git = await send(c.gitToken, await nodeHeaders(victim, c.gitToken));
    expect(git.status).toBe(404);
    expect(git.error?.message).toBe('GitHub is not configured on this instance');
    expect((await send(c.taskReport, await nodeHeaders(victim, c.taskReport))).status).toBe(200);
    expect(await victimState()).toEqual({ address: victimHost.url, forged: 1, task: 'completed' });
    // The node itself may move: with its proof, the address changes.
    expect((await send(c.heartbeat, await nodeHeaders(victim, c.heartbeat))).status).toBe(200);
    expect((await victimState()).address).toBe(attackerHost.url);
    const back = { ...home, body: JSON.stringify({ workspaces: [], address: victimHost.url }) };
    expect((await send(back, await nodeHeaders(victim, back))).status).toBe(200);
    expect((await victimState()).address).toBe(victimHost.url);
  });
});

describe('Assignments', () => {
  it("go only to the node a workspace is placed on: another node's heartbeat never gets its env", async () => {
    const other = await joinTestNode(control, { name: 'other', address: attackerHost.url });
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'placed' } });
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: {
        name: 'mine',
        projectId: project.data!.id,
        nodeId: victim.nodeId,
        env: { TOKEN: 'only-victim' },
      },
    });
    const id = ws.data!.id;
    // The other node claims the workspace in its report: ignored, and its ack holds none of it.
    const ack = await control.nodeClient(other).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: other.nodeId } },
      body: { workspaces: [{ id, status: 'running' }] },
    });
    expect(ack.response.status).toBe(200);
    expect(ack.data!.workspaces.map((w) => w.id)).not.toContain(id);
    expect(JSON.stringify(ack.data)).not.toContain('only-victim');
    const after = await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id } } });
    expect(after.data!.nodeId).toBe(victim.nodeId);
    // A start pushes the assignment (with env) to the hosting node's address only.
    await control.client.POST('/api/v1/workspaces/{id}/stop', { params: { path: { id } } });
    await control.client.POST('/api/v1/workspaces/{id}/start', { params: { path: { id } } });
    expect(victimHost.pushes.filter((p) => p.workspaceId === id).map((p) => p.assignment.env)).toContainEqual(
      {
        TOKEN: 'only-victim',
      },
    );
    expect(attackerHost.pushes.some((p) => p.workspaceId === id)).toBe(false);
    expect(attackerHost.pushes.some((p) => JSON.stringify(p.assignment).includes('only-victim'))).toBe(false);
  });
});
