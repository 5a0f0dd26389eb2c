// The agent bridge end to end: a real fixture ACP agent process, the transcript on a libSQL file, and a
// real WebSocket through Bun.serve on port 0.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'bun';
import type { AgentEvent } from '../../contract/index.ts';
import { type AgentHost, createAgentHost } from './agent-host.ts';
import { type AgentSocketData, createAgentSocketHandler } from './agent-socket.ts';
import { type AgentSupervisorConfig, defaultAgentSupervisorConfig } from './agent-supervisor.ts';
import { createPermissionDesk, type PermissionDesk } from './permission-desk.ts';
import { AgentSocketClient, fixtureAgentCommand, plainAgentCommand } from './testing/index.ts';

const config: AgentSupervisorConfig = {
  ...defaultAgentSupervisorConfig(),
  turnIdleTimeoutMs: 1_500,
  cancelGraceMs: 400,
  killGraceMs: 1_000,
  backoff: { initialMs: 50, maxMs: 400, factor: 2 },
};

let dataDir: string;
let host: AgentHost;
let desk: PermissionDesk;
/** Each workspace's permission policy and task (what the node takes from the workspace spec and its tasks). */
const policy = new Map<string, 'ask' | 'allow'>();
const taskOf = new Map<string, string>();
const flagged: [string, boolean][] = [];
let server: Server<AgentSocketData>;
let n = 0;

/** True while `pid` runs; a zombie waiting for its (re)parent to reap it counts as gone. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A fresh workspace with the fixture agent, and a connected client that got its hello. */
async function workspace() {
  const id = `ws${String(++n).padStart(20, '0')}`;
  const session = host.ensure(id, fixtureAgentCommand(dataDir));
  const client = await AgentSocketClient.connect(`ws://127.0.0.1:${server.port}/w/${id}/_agent`);
  await client.waitFor((c) => c.messages.find((m) => m.type === 'hello'), 'hello');
  return { id, session, client };
}

/** Sends a prompt and returns its id once the `prompt` event is back. */
async function prompt(client: AgentSocketClient, text: string): Promise<string> {
  const before = client.events().length;
  client.send({ type: 'prompt', text });
  const e = await client.waitFor(
    (c) =>
      c
        .events()
        .slice(before)
        .find((x) => x.data.kind === 'prompt' && x.data.text === text),
    `prompt ${text}`,
  );
  return (e.data as { promptId: string }).promptId;
}

const terminalOf = (events: { data: AgentEvent['data'] }[], promptId: string) =>
  events.filter(
    (e) => (e.data.kind === 'turn_ended' || e.data.kind === 'turn_failed') && e.data.promptId === promptId,
  );

async function ended(client: AgentSocketClient, promptId: string) {
  return client.waitFor((c) => terminalOf(c.events(), promptId)[0], `end of ${promptId}`);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'warren-agent-'));
  desk = createPermissionDesk({
    // Past the turn watchdog: a request waiting that long must not count as a hung agent.
    needsInputAfterMs: config.turnIdleTimeoutMs * 2,
    onRequested: (r) =>
      void host.get(r.workspaceId)?.record({
        kind: 'permission_requested',
        requestId: r.id,
        promptId: r.promptId,
        toolCall: r.toolCall,
        options: r.options,
      }),
    onSettled: (r, optionId, by) =>
      void host.get(r.workspaceId)?.record({ kind: 'permission_answered', requestId: r.id, optionId, by }),
    onNeedsInput: (taskId, needsInput) => flagged.push([taskId, needsInput]),
  });
  host = await createAgentHost({
    dataDir,
    config,
    permissions: (workspaceId) => ({
      ask: (r) =>
        desk.ask({
          ...r,
          workspaceId,
          taskId: taskOf.get(workspaceId) ?? null,
          policy: policy.get(workspaceId) ?? 'ask',
        }),
      withdraw: (promptId) => desk.withdraw(workspaceId, promptId),
    }),
  });
  const handler = createAgentSocketHandler<AgentSocketData>({
    sessionFor: (id) => host.get(id),
    answer: (id, requestId, optionId) => void desk.answer(id, requestId, optionId),
  });
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req, srv) {
      const m = /^\/w\/([^/]+)\/_agent$/.exec(new URL(req.url).pathname);
      const afterSeq = new URL(req.url).searchParams.get('afterSeq');
      const data: AgentSocketData = {
        workspaceId: m?.[1] ?? '',
        ...(afterSeq ? { afterSeq: Number(afterSeq) } : {}),
      };
      if (m?.[1] && srv.upgrade(req, { data })) return undefined;
      return new Response('not found', { status: 404 });
    },
    websocket: { data: {} as AgentSocketData, ...handler },
  });
});

afterAll(async () => {
  server.stop(true);
  await host.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Agent bridge', () => {
  it('streams a chat turn as numbered update events and ends it with the stop reason', async () => {
    const { client } = await workspace();
    const id = await prompt(client, 'hello there, agent');
    const end = await ended(client, id);
    expect(end.data).toMatchObject({ kind: 'turn_ended', stopReason: 'end_turn' });
    expect(client.textOf(id)).toBe('echo: hello there, agent');
    const updates = client.events().filter((e) => e.data.kind === 'update' && e.data.promptId === id);
    expect(updates.length).toBe(4);
    const seqs = client.events().map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    client.close();
  });

  it('replays exactly the missed events to a client that resumes after its last sequence number', async () => {
    const { id, session, client } = await workspace();
    const first = await prompt(client, 'first');
    await ended(client, first);
    const lastSeen = client.events().at(-1)?.seq ?? 0;
    client.close();
    // While nobody listens, another turn runs.
    const { promptId } = await session.prompt('while you were away');
    const stored = async () => host.store.after(id, lastSeen);
    const deadline = Date.now() + 10_000;
    while (terminalOf(await stored(), promptId).length === 0 && Date.now() < deadline) await Bun.sleep(5);
    const missed = await stored();
    expect(missed.length).toBeGreaterThan(3);

    const again = await AgentSocketClient.connect(`ws://127.0.0.1:${server.port}/w/${id}/_agent`);
    again.send({ type: 'resume', afterSeq: lastSeen });
    await again.waitFor((c) => terminalOf(c.events(), promptId)[0], 'replayed end');
    expect(again.events().map((e) => e.seq)).toEqual(missed.map((e) => e.seq));
    expect(again.textOf(promptId)).toBe('echo: while you were away');

    // The proxy may pass the cursor from the URL instead: the same replay on open.
    const fromUrl = await AgentSocketClient.connect(
      `ws://127.0.0.1:${server.port}/w/${id}/_agent?afterSeq=${lastSeen}`,
    );
    await fromUrl.waitFor((c) => terminalOf(c.events(), promptId)[0], 'replayed end from the URL');
    expect(fromUrl.events().map((e) => e.seq)).toEqual(missed.map((e) => e.seq));
    fromUrl.close();

    // And it stays live after the replay, without repeats.
    const live = await prompt(again, 'live again');
    await ended(again, live);
    const seqs = again.events().map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual(seqs.map((_, i) => lastSeen + 1 + i));
    again.close();
  });

  it('records a follow-up sent while a turn runs and sends it to the agent when that turn ends', async () => {
    const { client } = await workspace();
    const slow = await prompt(client, '/slow 30 one two three four five');
    await client.waitFor((c) => c.textOf(slow).includes('one'), 'first chunk');
    const follow = await prompt(client, 'and then this');
    // Recorded at once, while the first turn still runs.
    expect(terminalOf(client.events(), slow)).toHaveLength(0);
    await ended(client, follow);
    const kinds = client.events().map((e) => `${e.data.kind}:${(e.data as { promptId?: string }).promptId}`);
    expect(kinds.indexOf(`turn_ended:${slow}`)).toBeLessThan(kinds.indexOf(`turn_started:${follow}`));
    expect(client.textOf(slow)).toBe('one two three four five');
    expect(client.textOf(follow)).toBe('echo: and then this');
    client.close();
  });

  it('ends a prompt in flight exactly once when the agent crashes, restarts the agent, and runs the next prompt', async () => {
    const { id, session, client } = await workspace();
    await client.waitFor(() => session.state === 'ready', 'ready');
    const firstPid = session.pid;
    const crash = await prompt(client, '/crash');
    const end = await ended(client, crash);
    expect(end.data).toMatchObject({ kind: 'turn_failed', code: 'agent_crashed' });
    const next = await prompt(client, 'still there?');
    expect((await ended(client, next)).data).toMatchObject({ kind: 'turn_ended', stopReason: 'end_turn' });
    expect(session.pid).toBeDefined();
    expect(session.pid).not.toBe(firstPid);
    expect(client.events().some((e) => e.data.kind === 'agent_state' && e.data.state === 'restarting')).toBe(
      true,
    );
    expect(terminalOf(await host.store.after(id, 0), crash)).toHaveLength(1);
    client.close();
  });

  it('ends a prompt whose agent hangs by the watchdog, kills the hung agent, and recovers', async () => {
    const { id, session, client } = await workspace();
    await client.waitFor(() => session.state === 'ready', 'ready');
    const hungPid = session.pid as number;
    const hang = await prompt(client, '/hang');
    const end = await ended(client, hang);
    expect(end.data).toMatchObject({ kind: 'turn_failed', code: 'agent_hung' });
    await client.waitFor(() => !alive(hungPid), 'hung agent gone');
    const next = await prompt(client, 'recovered');
    expect((await ended(client, next)).data).toMatchObject({ kind: 'turn_ended', stopReason: 'end_turn' });
    expect(terminalOf(await host.store.after(id, 0), hang)).toHaveLength(1);
    client.close();
  });

  it('cancels a running turn: the agent ends it with stopReason cancelled', async () => {
    const { client } = await workspace();
    const slow = await prompt(client, '/slow 50 a b c d e f g h i j k l m n o p');
    await client.waitFor((c) => c.textOf(slow).length > 0, 'first chunk');
    client.send({ type: 'cancel' });
    const end = await ended(client, slow);
    expect(end.data).toEqual({ kind: 'turn_ended', promptId: slow, stopReason: 'cancelled' });
    expect(client.textOf(slow).length).toBeLessThan('a b c d e f g h i j k l m n o p'.length);
    client.close();
  });

  it('ends a cancelled turn the agent ignores by killing the agent after the grace period', async () => {
    const { session, client } = await workspace();
    await client.waitFor(() => session.state === 'ready', 'ready');
    const pid = session.pid as number;
    const hang = await prompt(client, '/hang');
    await client.waitFor((c) => c.textOf(hang).length > 0, 'hanging');
    client.send({ type: 'cancel' });
    const end = await ended(client, hang);
    expect(end.data).toEqual({ kind: 'turn_ended', promptId: hang, stopReason: 'cancelled', forced: true });
    await client.waitFor(() => !alive(pid), 'agent gone');
    client.close();
  });

  it('asks a person: the request waits in the transcript and the agent gets exactly the option answered', async () => {
    const { id, client } = await workspace();
    taskOf.set(id, 'task-asked');
    const p = await prompt(client, '/permission');
    const asked = await client.waitFor(
      (c) => c.events().find((e) => e.data.kind === 'permission_requested'),
      'the permission request',
    );
    const requestId = (asked.data as { requestId: string }).requestId;
    expect(asked.data).toMatchObject({
      promptId: p,
      toolCall: { toolCallId: 't1', title: 'write a file' },
      options: [
        { optionId: 'yes', name: 'Allow', kind: 'allow_once' },
        { optionId: 'no', name: 'Reject', kind: 'reject_once' },
      ],
    });
    // Waiting on a person past the turn watchdog's time is not a hang; the task is flagged as needing input.
    await client.waitFor(() => flagged.some(([t, on]) => t === 'task-asked' && on), 'needs input');
    const errors = () => client.messages.filter((m) => m.type === 'error');
    client.send({ type: 'permission', requestId, optionId: 'maybe' });
    await client.waitFor(() => errors().length === 1, 'the refusal of an unknown option');
    expect(errors()[0]).toMatchObject({ code: 'invalid_request' });
    client.send({ type: 'permission', requestId: 'no-such-request', optionId: 'no' });
    await client.waitFor(() => errors().length === 2, 'the refusal of an unknown request');
    expect(errors()[1]).toMatchObject({ code: 'not_found' });
    client.send({ type: 'permission', requestId, optionId: 'no' });
    await ended(client, p);
    expect(client.textOf(p)).toBe('permission {"outcome":{"outcome":"selected","optionId":"no"}}');
    expect(terminalOf(client.events(), p)[0]?.data).toMatchObject({
      kind: 'turn_ended',
      stopReason: 'end_turn',
    });
    expect(client.events().find((e) => e.data.kind === 'permission_answered')?.data).toEqual({
      kind: 'permission_answered',
      requestId,
      optionId: 'no',
      by: 'person',
    });
    expect(flagged.filter(([t]) => t === 'task-asked')).toEqual([
      ['task-asked', true],
      ['task-asked', false],
    ]);
    client.send({ type: 'permission', requestId, optionId: 'yes' });
    await client.waitFor(() => errors().length === 3, 'the refusal of a second answer');
    expect(errors()[2]).toMatchObject({ code: 'conflict' });
    client.close();
  });

  it("refuses an answer from another workspace's socket: the request stays waiting", async () => {
    const a = await workspace();
    const b = await workspace();
    const p = await prompt(a.client, '/permission');
    const asked = await a.client.waitFor(
      (c) => c.events().find((e) => e.data.kind === 'permission_requested'),
      'the permission request',
    );
    const requestId = (asked.data as { requestId: string }).requestId;
    b.client.send({ type: 'permission', requestId, optionId: 'yes' });
    const refused = await b.client.waitFor((c) => c.messages.find((m) => m.type === 'error'), 'refusal');
    expect(refused).toMatchObject({ code: 'not_found' });
    expect(desk.pending(a.id).map((r) => r.id)).toEqual([requestId]);
    expect(desk.pending(b.id)).toEqual([]);
    a.client.send({ type: 'permission', requestId, optionId: 'yes' });
    await ended(a.client, p);
    expect(a.client.textOf(p)).toBe('permission {"outcome":{"outcome":"selected","optionId":"yes"}}');
    a.client.close();
    b.client.close();
  });

  it('answers at once with the allow option under the allow policy, and says so in the transcript', async () => {
    const { id, client } = await workspace();
    policy.set(id, 'allow');
    const p = await prompt(client, '/permission');
    await ended(client, p);
    expect(client.textOf(p)).toBe('permission {"outcome":{"outcome":"selected","optionId":"yes"}}');
    expect(client.events().find((e) => e.data.kind === 'permission_answered')?.data).toMatchObject({
      optionId: 'yes',
      by: 'policy',
    });
    expect(desk.pending(id)).toEqual([]);
    client.close();
  });

  it('answers a waiting request with cancelled when its turn is cancelled', async () => {
    const { id, client } = await workspace();
    const p = await prompt(client, '/permission');
    await client.waitFor(() => desk.pending(id).length === 1, 'the waiting request');
    client.send({ type: 'cancel' });
    await ended(client, p);
    expect(client.textOf(p)).toBe('permission {"outcome":{"outcome":"cancelled"}}');
    expect(client.events().find((e) => e.data.kind === 'permission_answered')?.data).toMatchObject({
      optionId: null,
      by: 'withdrawn',
    });
    expect(desk.pending(id)).toEqual([]);
    client.close();
  });

  it('stops the whole process group of an agent when its workspace goes', async () => {
    const { id, session, client } = await workspace();
    const p = await prompt(client, '/child');
    await ended(client, p);
    const child = Number(client.textOf(p).split(' ')[1]);
    const agent = session.pid as number;
    expect(alive(child)).toBe(true);
    await host.remove(id);
    await client.waitFor(() => !alive(child) && !alive(agent), 'agent and child gone');
    client.close();
  });

  it('refuses bad client messages without closing, and closes for a workspace without an agent', async () => {
    const { client } = await workspace();
    client.send('not json');
    client.send({ type: 'prompt', text: '' });
    client.send({ type: 'cancel' });
    await client.waitFor((c) => c.messages.filter((m) => m.type === 'error').length === 3, 'three errors');
    expect(
      client.messages.filter((m) => m.type === 'error').map((m) => (m as { code: string }).code),
    ).toEqual(['invalid_request', 'invalid_request', 'conflict']);
    expect(client.closed).toBeUndefined();
    client.close();
    const none = await AgentSocketClient.connect(`ws://127.0.0.1:${server.port}/w/wsnothere/_agent`);
    await none.waitFor((c) => c.closed, 'close');
    expect(none.closed?.code).toBe(4404);
  });

  it('fails a prompt with agent_unavailable, never leaves it pending, when the agent cannot start', async () => {
    const id = 'wsbroken';
    const session = host.ensure(id, plainAgentCommand(['false'], dataDir, { PATH: '' }));
    const client = await AgentSocketClient.connect(`ws://127.0.0.1:${server.port}/w/${id}/_agent`);
    const p = await prompt(client, 'anyone?');
    expect((await ended(client, p)).data).toMatchObject({ kind: 'turn_failed', code: 'agent_unavailable' });
    expect(session.state).toBe('failed');
    client.close();
    await host.remove(id);
  });

  it('keeps transcripts in the libSQL file across a restart of the node', async () => {
    const { id, client } = await workspace();
    const p = await prompt(client, 'remember me');
    await ended(client, p);
    client.close();
    const other = await createAgentHost({ dataDir, config });
    const kept = await other.store.after(id, 0);
    other.store.close();
    expect(kept.find((e) => e.data.kind === 'prompt' && e.data.text === 'remember me')).toBeDefined();
  });
});
