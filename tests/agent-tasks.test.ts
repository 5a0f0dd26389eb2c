// Agents, tasks and the activity log end to end: a real control plane, a real node process, and the fixture ACP
// agent as the workspace's agent command. Chat over the node's `/w/{id}/_agent`, tasks through the API, crash and
// hang recovery, cancel, and the activity feed with its cursors.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  createTestNodeKey,
  nodeHeaders,
  startTestControl,
  type TestControl,
  type TestNodeCredential,
} from '../control/testing/index.ts';
import {
  AgentSocketClient,
  eventually,
  FIXTURE_AGENT,
  loadOrCreateIdentity,
  tempDataDir,
} from '../node/testing/index.ts';

import { type AgentNode, agentNode } from './testing/index.ts';

const IDLE_TIMEOUT_MS = 1500;
let control: TestControl;
let agents: AgentNode;
let node: { nodeId: string; url: string };
const dataDir = tempDataDir();
let projectId: string;
let agentWs: string;
let plainWs: string;

type Task = { id: string; status: string; summary: string | null; workspaceId: string | null } & Record<
  string,
  unknown
>;

beforeAll(async () => {
  control = await startTestControl({ config: { heartbeatIntervalMs: 300, taskSweepMs: 150 } });
  const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
  agents = agentNode(control, dataDir, { WARREN_AGENT_TURN_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) });
  node = await agents.start(['--join-token', jt.data!.token]);
  const project = await control.client.POST('/api/v1/projects', { body: { name: 'agents' } });
  projectId = project.data!.id;
  // The workspace without an agent is the older one, so placement would pick it first if it ignored agents.
  plainWs = await agents.workspace(projectId, 'without-agent');
  agentWs = await agents.workspace(projectId, 'with-agent', `exec ${process.execPath} ${FIXTURE_AGENT}`);
}, 30_000);

afterAll(async () => {
  await agents.close();
  await control.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const token = (id: string, scopes: ('http' | 'terminal' | 'agent')[]) => agents.token(id, scopes);
const connect = (id: string, query = '') => agents.connect(id, query);

/** Sends a prompt and waits for its one terminal event; returns the prompt id and that event. */
async function ask(c: AgentSocketClient, text: string, timeoutMs = 10_000) {
  const before = new Set(c.events().map((e) => e.seq));
  c.send({ type: 'prompt', text });
  const prompt = await c.waitFor(
    (x) => x.events().find((e) => !before.has(e.seq) && e.data.kind === 'prompt' && e.data.text === text),
    `the prompt "${text}" to be recorded`,
  );
  const promptId = (prompt.data as { promptId: string }).promptId;
  const end = await c.waitFor((x) => terminalsOf(x, promptId)[0], `the end of "${text}"`, timeoutMs);
  return { promptId, end };
}

function terminalsOf(c: AgentSocketClient, promptId: string) {
  return c
    .events()
    .filter(
      (e) =>
        (e.data.kind === 'turn_ended' || e.data.kind === 'turn_failed') &&
        (e.data as { promptId: string }).promptId === promptId,
    );
}

async function getTask(id: string): Promise<Task> {
  const r = await control.client.GET('/api/v1/tasks/{id}', { params: { path: { id } } });
  expect(r.response.status).toBe(200);
  return r.data as Task;
}

async function submit(prompt: string, idempotencyKey?: string): Promise<Task> {
  const r = await control.client.POST('/api/v1/tasks', {
    body: { projectId, prompt, ...(idempotencyKey ? { idempotencyKey } : {}) },
  });
  expect(r.response.status).toBe(200);
  return r.data as Task;
}

const taskIn = (id: string, status: string, timeoutMs = 15_000) =>
  eventually(
    async () => {
      const t = await getTask(id);
      return t.status === status ? t : undefined;
    },
    `task ${id} to be ${status}`,
    timeoutMs,
  );

/** Pids of fixture agents running in the workspace's directory (from /proc). */
function agentPids(workspaceId: string): number[] {
  const dir = join(dataDir, 'workspaces', workspaceId);
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(FIXTURE_AGENT)) continue;
      if (readlinkSync(`/proc/${name}/cwd`) === dir) out.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('Agent chat on the node', () => {
  it('answers with streamed updates over /w/{id}/_agent with an agent-scope token in ?token=', async () => {
    const c = await connect(agentWs);
    const { promptId, end } = await ask(c, 'hello there world');
    expect(end.data.kind).toBe('turn_ended');
    expect(c.textOf(promptId)).toBe('echo: hello there world');
    const updates = c
      .events()
      .filter((e) => e.data.kind === 'update' && (e.data as { promptId: string }).promptId === promptId);
    expect(updates.length).toBeGreaterThan(2);
    // Sequence numbers arrive without gaps or repeats.
    const seqs = c.events().map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
  });

  it('searches the transcript with words taken literally, for agent-scope tokens only', async () => {
    const agent = await token(agentWs, ['agent']);
    const search = async (q: string, t = agent) => {
      const r = await fetch(`${node.url}/w/${agentWs}/_agent/search?${new URLSearchParams({ q })}`, {
        headers: { authorization: `Bearer ${t}` },
      });
      return {
        status: r.status,
        body: (await r.json()) as { items: { promptId: string; snippet: string }[] },
      };
    };
    const hit = await search('hello world');
    expect(hit.status).toBe(200);
    expect(hit.body.items.length).toBeGreaterThan(0);
    expect(hit.body.items[0]!.snippet).toContain('«hello»');
    // Operators are words: with a word no turn has, nothing matches (an OR would have widened it).
    for (const hostile of ['hello OR zebra', 'NEAR(hello zebra)', 'hel* zebra', '*', '-', '()'])
      expect(await search(hostile)).toEqual({ status: 200, body: { items: [] } });
    // Punctuation around real words neither breaks the query nor changes what it finds.
    const turns = (items: { promptId?: string }[]) => items.map((i) => i.promptId);
    for (const odd of ['"hello', '(hello) -world'])
      expect(turns((await search(odd)).body.items)).toEqual(turns(hit.body.items));
    expect((await search('hello:world^ col:x "unbalanced')).status).toBe(200);
    expect((await search('hello', await token(agentWs, ['http']))).status).toBe(403);
  });

  it('refuses a token without the agent scope, and takes ?token= only on the WebSocket', async () => {
    const http = await token(agentWs, ['http', 'terminal']);
    const agent = await token(agentWs, ['agent']);
    const url = `${node.url}/w/${agentWs}/_agent`;
    const get = async (t: string | undefined, query = '') => {
      const r = await fetch(`${url}${query}`, t ? { headers: { authorization: `Bearer ${t}` } } : {});
      await r.arrayBuffer();
      return r.status;
    };
    expect(await get(http)).toBe(403);
    expect(await get(agent)).toBe(400); // the scope holds; it is just not a WebSocket
    expect(await get(undefined, `?token=${agent}`)).toBe(401); // query tokens only on WebSockets
    await expect(
      AgentSocketClient.connect(`${url.replace('http', 'ws')}?token=${encodeURIComponent(http)}`),
    ).rejects.toThrow();
    await expect(AgentSocketClient.connect(url.replace('http', 'ws'))).rejects.toThrow();
  });

  it('queues a follow-up sent while a turn runs and runs it next', async () => {
    const c = await connect(agentWs);
    c.send({ type: 'prompt', text: '/slow 60 one two three four five' });
    c.send({ type: 'prompt', text: 'the follow-up' });
    const ids = await c.waitFor((x) => {
      const p = x.events().filter((e) => e.data.kind === 'prompt');
      return p.length >= 2 ? p.map((e) => (e.data as { promptId: string }).promptId) : undefined;
    }, 'both prompts recorded');
    const [first, second] = ids.slice(-2) as [string, string];
    await c.waitFor((x) => terminalsOf(x, second)[0], 'the follow-up to end');
    const ended = (id: string) => terminalsOf(c, id)[0]!.seq;
    const started = (id: string) =>
      c.events().find((e) => e.data.kind === 'turn_started' && e.data.promptId === id)!.seq;
    expect(c.textOf(first)).toBe('one two three four five');
    expect(c.textOf(second)).toBe('echo: the follow-up');
    expect(started(second)).toBeGreaterThan(ended(first));
  });

  it('gives a client that reconnects with its last sequence number exactly what it missed', async () => {
    const a = await connect(agentWs);
    await ask(a, 'before the gap');
    const lastSeen = a.events().at(-1)!.seq;
    a.close();
    const b = await connect(agentWs);
    await ask(b, 'during the gap');
    const latest = b.events().at(-1)!.seq;
    const resumed = await connect(agentWs, `&afterSeq=${lastSeen}`);
    const got = await resumed.waitFor(
      (x) => (x.events().at(-1)?.seq === latest ? x.events() : undefined),
      'the missed events',
    );
    expect(got.map((e) => e.seq)).toEqual(
      Array.from({ length: latest - lastSeen }, (_, i) => lastSeen + 1 + i),
    );
    // The same through a resume message on an open socket.
    resumed.send({ type: 'resume', afterSeq: latest - 2 });
    await resumed.waitFor(
      (x) => x.events().filter((e) => e.seq === latest).length === 2,
      'the replay of the last two events',
    );
  });

  it('ends a prompt whose agent crashed with exactly one terminal error, restarts it, and answers the next', async () => {
    const c = await connect(agentWs);
    const before = agentPids(agentWs);
    const { promptId, end } = await ask(c, '/crash');
    expect(end.data).toMatchObject({ kind: 'turn_failed', code: 'agent_crashed' });
    const next = await ask(c, 'still there?', 15_000);
    expect(next.end.data.kind).toBe('turn_ended');
    expect(c.textOf(next.promptId)).toBe('echo: still there?');
    expect(terminalsOf(c, promptId)).toHaveLength(1);
    const after = agentPids(agentWs);
    expect(after).toHaveLength(1);
    expect(before).not.toContain(after[0]);
  });

  it('ends a prompt whose agent hangs through the watchdog, once', async () => {
    const c = await connect(agentWs);
    const { promptId, end } = await ask(c, '/hang', IDLE_TIMEOUT_MS * 5);
    expect(end.data).toMatchObject({ kind: 'turn_failed', code: 'agent_hung' });
    const next = await ask(c, 'awake again', 15_000);
    expect(c.textOf(next.promptId)).toBe('echo: awake again');
    expect(terminalsOf(c, promptId)).toHaveLength(1);
  });

  it('closes the socket of a workspace without an agent with 4404', async () => {
    const t = await token(plainWs, ['agent']);
    const c = await AgentSocketClient.connect(
      `${node.url.replace('http', 'ws')}/w/${plainWs}/_agent?token=${encodeURIComponent(t)}`,
    );
    await c.waitFor((x) => x.closed, 'the close');
    expect(c.closed?.code).toBe(4404);
  });
});

describe('Tasks on warm workspaces', () => {
  it('runs a task on the workspace agent and syncs its outcome and summary; the same key makes one task', async () => {
    const [a, b] = await Promise.all([
      submit('summarise the repository', 'key-one'),
      submit('summarise the repository', 'key-one'),
    ]);
    expect(a.id).toBe(b.id);
    const done = await taskIn(a.id, 'completed');
    expect(done).toMatchObject({
      workspaceId: agentWs,
      nodeId: node.nodeId,
      agentSessionId: agentWs,
      outcome: { stopReason: 'end_turn' },
      summary: 'echo: summarise the repository',
    });
    const again = await submit('summarise the repository', 'key-one');
    expect(again.id).toBe(a.id);
    const list = await control.client.GET('/api/v1/tasks', { params: { query: { q: 'summarise' } } });
    expect(list.data!.items.map((t) => t.id)).toEqual([a.id]);
    // The task's prompt went through the one agent session, so chat clients see it in the transcript.
    const c = await connect(agentWs, '&afterSeq=0');
    await c.waitFor(
      (x) => x.events().find((e) => e.data.kind === 'prompt' && e.data.text === 'summarise the repository'),
      'the task prompt in the transcript',
    );
  });

  it('delivers a follow-up message to a running task; one to a completed task continues it on its workspace', async () => {
    const task = await submit('/slow 150 a b c d e f g h');
    await taskIn(task.id, 'running');
    const m = await control.client.POST('/api/v1/tasks/{id}/messages', {
      params: { path: { id: task.id } },
      body: { text: 'and one more thing' },
    });
    expect(m.response.status).toBe(200);
    const done = await taskIn(task.id, 'completed');
    expect(done.summary).toBe('echo: and one more thing');
    const later = await control.client.POST('/api/v1/tasks/{id}/messages', {
      params: { path: { id: task.id } },
      body: { text: 'and later still' },
    });
    expect(later.response.status).toBe(200);
    await eventually(
      async () => (await getTask(task.id)).summary === 'echo: and later still',
      'the task to continue',
    );
    expect(await getTask(task.id)).toMatchObject({ status: 'completed', workspaceId: done.workspaceId });
  });

  it('cancels a running task: cancelled, and its agent process and children gone', async () => {
    const c = await connect(agentWs);
    const child = await ask(c, '/child');
    const childPid = Number(/child (\d+)/.exec(c.textOf(child.promptId))?.[1]);
    expect(alive(childPid)).toBe(true);
    const [agentPid] = agentPids(agentWs);
    expect(agentPid).toBeDefined();
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    const task = await submit(`/slow 100 ${words}`);
    await taskIn(task.id, 'running');
    const r = await control.client.POST('/api/v1/tasks/{id}/cancel', { params: { path: { id: task.id } } });
    expect(r.response.status).toBe(200);
    expect((r.data as Task).status).toBe('cancelled');
    await eventually(() => !alive(agentPid!) && !alive(childPid), 'the agent and its child to be gone');
    // A fresh agent starts for the workspace's next task: never the one that ran the cancelled turn.
    expect(agentPids(agentWs)).not.toContain(agentPid);
    expect((await getTask(task.id)).status).toBe('cancelled');
    // A client still on the stopped session is told to reconnect.
    c.send({ type: 'prompt', text: 'anyone?' });
    await c.waitFor((x) => x.closed, 'the old socket to close');
    expect(c.closed?.code).toBe(1012);
    // The workspace's agent comes back for the next client.
    const again = await connect(agentWs);
    const next = await ask(again, 'after the cancel', 15_000);
    expect(again.textOf(next.promptId)).toBe('echo: after the cancel');
  });

  it('fails a task whose agent crashed, with the crash as its outcome', async () => {
    const task = await submit('/crash');
    const failed = await taskIn(task.id, 'failed');
    expect(failed.outcome).toMatchObject({ error: { code: 'agent_crashed' } });
  });
});

describe('Activity feed', () => {
  type Activity = { id: string; type: string; kind: string; message: string };
  const feed = async (id: string, query: Record<string, string> = {}) => {
    const r = await fetch(`${control.url}/api/v1/workspaces/${id}/activity?${new URLSearchParams(query)}`, {
      headers: { authorization: `Bearer ${control.adminToken}` },
    });
    return { status: r.status, body: (await r.json()) as { items: Activity[]; error?: unknown } };
  };

  it('shows lifecycle, task and agent events, newest first', async () => {
    const types = await eventually(async () => {
      const t = (await feed(agentWs, { limit: '500' })).body.items.map((e) => e.type);
      return t.includes('task.completed') && t.includes('agent.turn_ended') ? t : undefined;
    }, 'task and agent events in the feed');
    for (const type of [
      'workspace.created',
      'workspace.placed',
      'workspace.running',
      'task.running',
      'task.completed',
      'task.cancelled',
      'agent.prompt',
      'agent.turn_ended',
      'agent.agent_crashed',
      'agent.agent_hung',
    ])
      expect(types).toContain(type);
    // Newest first: the workspace's creation is the very last entry.
    expect(types.at(-1)).toBe('workspace.created');
    const hits = (await feed(agentWs, { q: 'summarise' })).body.items;
    expect(hits.some((e) => e.type === 'agent.prompt')).toBe(true);
    expect((await feed(agentWs, { q: 'summarise OR *' })).body.items).toEqual([]);
  });

  it('pages after its own cursor, refuses foreign and tampered ones alike (400), and a pruned one with 410', async () => {
    const all = (await feed(agentWs, { limit: '500' })).body.items;
    const cursor = all[2]!.id;
    const after = await feed(agentWs, { since_id: cursor });
    expect(after.status).toBe(200);
    // Oldest first, strictly after the cursor; agent events may still be arriving, so later ones can follow.
    expect(after.body.items.map((e) => e.id).slice(0, 2)).toEqual([all[1]!.id, all[0]!.id]);
    expect(after.body.items.map((e) => e.id)).not.toContain(cursor);

    const foreignCursor = (await feed(plainWs)).body.items[0]!.id;
    const foreign = await feed(agentWs, { since_id: foreignCursor });
    expect(foreign.status).toBe(400);
    const tampered = await feed(agentWs, { since_id: `${cursor.slice(0, -2)}AA` });
    expect(tampered).toEqual(foreign);
    expect((foreign.body.error as { code: string }).code).toBe('invalid_cursor');
    // A workspace that does not exist: 404 with or without a cursor, nothing about the cursor.
    const missing = await feed(`ws${'0'.repeat(20)}`, { since_id: cursor });
    expect(missing.status).toBe(404);

    // Pruned: the event the cursor points at is gone from the log.
    const oldest = all.at(-1)!;
    const position = JSON.parse(Buffer.from(oldest.id.split('.')[0]!, 'base64url').toString()) as [
      string,
      number,
    ];
    await control.deps.database.client.execute({
      sql: 'DELETE FROM activity_events WHERE id = ?',
      args: [position[1]],
    });
    const gone = await feed(agentWs, { since_id: oldest.id });
    expect(gone.status).toBe(410);
  });

  it('takes agent events only from the hosting node', async () => {
    const body = JSON.stringify({ type: 'agent.note', message: 'forged' });
    // A user token as Bearer, or a node: its certificate with a proof for exactly this request.
    const post = async (id: string, as?: string | TestNodeCredential) => {
      const path = `/api/v1/workspaces/${id}/activity`;
      const auth =
        typeof as === 'object'
          ? await nodeHeaders(as, { method: 'POST', path, body })
          : as
            ? { authorization: `Bearer ${as}` }
            : {};
      const res = await fetch(`${control.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body,
      });
      return res.status;
    };
    const own = {
      certificate: (JSON.parse(readFileSync(join(dataDir, 'node.json'), 'utf8')) as { certificate: string })
        .certificate,
      key: await loadOrCreateIdentity(dataDir),
    };
    // Another node, joined properly: its certificate is valid, but the workspace is not hosted there.
    const jt = await control.client.POST('/api/v1/join-tokens', { body: {} });
    const key = await createTestNodeKey();
    const other = await control.clientWith().POST('/api/v1/nodes/join', {
      body: {
        joinToken: jt.data!.token,
        name: 'other',
        publicKey: key.publicKey,
        address: 'http://127.0.0.1:1',
        capacity: { workspaces: 1 },
      },
    });
    expect(other.response.status).toBe(200);
    expect(await post(agentWs)).toBe(401);
    expect(await post(agentWs, control.adminToken)).toBe(401);
    expect(await post(agentWs, { ...other.data!, key })).toBe(401);
    expect(await post(`ws${'0'.repeat(20)}`, own)).toBe(401);
    expect(await post(agentWs, own)).toBe(200);
    const [latest] = (await feed(agentWs, { limit: '1' })).body.items;
    expect(latest).toMatchObject({ kind: 'agent', type: 'agent.note', message: 'forged' });
  });

  it("refuses the node's task operations without the control plane's command token", async () => {
    const call = (auth?: string) =>
      fetch(`${node.url}/_node/workspaces/${agentWs}/agent/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
        body: JSON.stringify({ taskId: `tk${'0'.repeat(20)}`, prompt: 'sneaky' }),
      }).then((r) => r.status);
    expect(await call()).toBe(401);
    expect(await call(await token(agentWs, ['agent']))).toBe(401);
    expect(await call(control.adminToken)).toBe(401);
  });
});

describe('A workspace that stops', () => {
  it('fails the task its agent was running and stops the agent with it', async () => {
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    const task = await submit(`/slow 100 ${words}`);
    await taskIn(task.id, 'running');
    // The agent may still be coming back from the crash of the task before.
    const [agentPid] = await eventually(() => {
      const pids = agentPids(agentWs);
      return pids.length > 0 ? pids : undefined;
    }, 'the agent to run');
    const stop = await control.client.POST('/api/v1/workspaces/{id}/stop', {
      params: { path: { id: agentWs } },
    });
    expect(stop.response.status).toBeLessThan(300);
    const failed = await taskIn(task.id, 'failed');
    // The stop ends the agent: its turn fails once, as unavailable or — when the exit is seen before the
    // stop is — as a crash; either way a terminal failure, never a pending task.
    expect(['agent_unavailable', 'agent_crashed']).toContain(
      (failed.outcome as { error: { code: string } }).error.code,
    );
    await eventually(() => !alive(agentPid!), 'the agent to be gone');
    expect(agentPids(agentWs)).toEqual([]);
    const types = (await fetch(`${control.url}/api/v1/workspaces/${agentWs}/activity`, {
      headers: { authorization: `Bearer ${control.adminToken}` },
    }).then((r) => r.json())) as { items: { type: string }[] };
    expect(types.items.map((e) => e.type)).toContain('task.failed');
  });
});

describe('A node that restarts mid-task', () => {
  it('fails the task it was running once it is back, exactly once', async () => {
    const start = await control.client.POST('/api/v1/workspaces/{id}/start', {
      params: { path: { id: agentWs } },
    });
    expect(start.response.status).toBeLessThan(300);
    await eventually(
      async () =>
        (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id: agentWs } } })).data
          ?.status === 'running',
      'the workspace to run again',
    );
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    const task = await submit(`/slow 100 ${words}`);
    await taskIn(task.id, 'running');
    const [agentPid] = await eventually(() => {
      const pids = agentPids(agentWs);
      return pids.length > 0 ? pids : undefined;
    }, 'the agent to run');
    // Killed outright: no chance to report anything on the way down.
    await agents.stop('SIGKILL');
    expect((await getTask(task.id)).status).toBe('running');
    // Its agent sees its stdin close and exits.
    await eventually(() => !alive(agentPid!), 'the orphaned agent to exit');
    node = await agents.start();
    const failed = await taskIn(task.id, 'failed');
    expect(failed.outcome).toEqual({
      error: { code: 'agent_unavailable', message: 'the node restarted while the task ran' },
    });
    // The workspace's agent is back for new work.
    const c = await connect(agentWs);
    const next = await ask(c, 'back again', 15_000);
    expect(c.textOf(next.promptId)).toBe('echo: back again');
  });
});
