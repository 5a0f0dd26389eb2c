// An agent session without the socket: turn outcomes and task reports, transcript search with hostile input,
// activity entries, and the restart backoff.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentActivityOf } from './agent-activity.ts';
import { type AgentSession, createAgentSession } from './agent-session.ts';
import { defaultAgentSupervisorConfig } from './agent-supervisor.ts';
import { backoffDelay, defaultBackoffConfig } from './backoff.ts';
import { taskReportOf } from './task-report.ts';
import { fixtureAgentCommand, plainAgentCommand } from './testing/index.ts';
import { openTranscriptStore, type TranscriptStore } from './transcript-store.ts';

let dir: string;
let store: TranscriptStore;
let session: AgentSession;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warren-session-'));
  store = await openTranscriptStore(join(dir, 'agent-transcripts.db'));
  session = createAgentSession({
    sessionId: 'main',
    store,
    command: fixtureAgentCommand(dir),
    config: { ...defaultAgentSupervisorConfig(), backoff: { initialMs: 20, maxMs: 200, factor: 2 } },
  });
});

afterAll(async () => {
  await session.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Agent session', () => {
  it('settles each prompt with its outcome and the agent text, which make the task report', async () => {
    const ok = await session.prompt('summarize the release notes');
    const outcome = await ok.done;
    expect(outcome.text).toBe('echo: summarize the release notes');
    expect(taskReportOf(outcome)).toEqual({
      status: 'completed',
      outcome: { stopReason: 'end_turn' },
      summary: 'echo: summarize the release notes',
    });
    const crash = await (await session.prompt('/crash')).done;
    expect(taskReportOf(crash)).toMatchObject({
      status: 'failed',
      outcome: { error: { code: 'agent_crashed' } },
      summary: 'about to crash',
    });
  });

  it('never hands the prompt after a hang or a crash to the dying agent: it waits for the restarted one', async () => {
    const quick = createAgentSession({
      sessionId: 'back-to-back',
      store,
      command: fixtureAgentCommand(dir),
      config: {
        ...defaultAgentSupervisorConfig(),
        turnIdleTimeoutMs: 300,
        backoff: { initialMs: 20, maxMs: 200, factor: 2 },
      },
    });
    try {
      for (const trouble of ['/hang', '/crash', '/hang']) {
        // Queued together: the second runs the moment the first has its terminal event.
        const [bad, next] = [await quick.prompt(trouble), await quick.prompt(`after ${trouble}`)];
        expect((await bad.done).end.kind).toBe('turn_failed');
        const after = await next.done;
        expect(after.end).toMatchObject({ kind: 'turn_ended', stopReason: 'end_turn' });
        expect(after.text).toBe(`echo: after ${trouble}`);
      }
    } finally {
      await quick.close();
    }
  });

  it('ends queued prompts with agent_unavailable when the session closes, none left pending', async () => {
    const other = createAgentSession({
      sessionId: 'closing',
      store,
      command: fixtureAgentCommand(dir),
      config: defaultAgentSupervisorConfig(),
    });
    const slow = await other.prompt('/slow 50 a b c d e f g h');
    const queued = await other.prompt('never sent');
    await other.close();
    const [a, b] = await Promise.all([slow.done, queued.done]);
    expect(a.end).toMatchObject({ kind: 'turn_failed', code: 'agent_unavailable' });
    expect(b.end).toMatchObject({ kind: 'turn_failed', code: 'agent_unavailable' });
    const events = await store.after('closing', 0);
    for (const id of [slow.promptId, queued.promptId])
      expect(
        events.filter(
          (e) =>
            'promptId' in e.data &&
            e.data.promptId === id &&
            e.data.kind.startsWith('turn_') &&
            e.data.kind !== 'turn_started',
        ),
      ).toHaveLength(1);
  });

  it('finds turns by their words and takes operators in the query literally', async () => {
    await (await session.prompt('deploy alpha OR beta (now)')).done;
    await (await session.prompt('deploy gamma')).done;
    const hits = async (q: string) => (await store.search(q, { sessionId: 'main' })).length;
    expect(await hits('deploy')).toBe(2);
    expect(await hits('gamma')).toBe(1);
    // "OR" is a word to match, as in the first turn, never an operator that would find both.
    expect(await hits('deploy OR gamma')).toBe(0);
    expect(await hits('deploy OR beta')).toBe(1);
    expect(await hits('gamma OR alpha')).toBe(0);
    for (const hostile of [
      '"',
      'NEAR(deploy gamma)',
      'dep*',
      '-deploy',
      '(',
      'prompt:deploy',
      '^deploy',
      '""',
    ])
      expect(await hits(hostile)).toBeLessThanOrEqual(2);
    expect(await hits('NEAR(deploy gamma)')).toBe(0);
    expect(await hits('dep*')).toBe(0);
    expect((await store.search('gamma'))[0]?.snippet).toContain('«gamma»');
    expect(await store.search('gamma', { sessionId: 'other' })).toEqual([]);
  });
});

describe('Agent liveness', () => {
  it('restarts an agent that never answers the handshake, and fails the prompt once it gives up', async () => {
    const pids: number[] = [];
    const mute = createAgentSession({
      sessionId: 'mute',
      store,
      // `sleep` never reads its stdin: `initialize` gets no answer by the deadline.
      command: plainAgentCommand(['sleep', '600'], dir),
      config: {
        ...defaultAgentSupervisorConfig(),
        requestTimeoutMs: 150,
        maxConsecutiveFailures: 3,
        backoff: { initialMs: 20, maxMs: 100, factor: 2 },
      },
    });
    const seen = setInterval(() => {
      if (mute.pid !== undefined && !pids.includes(mute.pid)) pids.push(mute.pid);
    }, 5);
    const p = await mute.prompt('hello?');
    const outcome = await p.done;
    clearInterval(seen);
    expect(outcome.end).toMatchObject({ kind: 'turn_failed', code: 'agent_unavailable' });
    expect(mute.state).toBe('failed');
    expect(pids.length).toBeGreaterThan(1);
    const states = (await store.after('mute', 0)).flatMap((e) =>
      e.data.kind === 'agent_state' ? [e.data.state] : [],
    );
    expect(states.filter((s) => s === 'restarting')).toHaveLength(2);
    expect(states.at(-1)).toBe('failed');
    await mute.close();
  });
});

describe('Agent activity', () => {
  it('turns prompts, turn ends and agent states into entries, and skips streaming updates', () => {
    const at = Date.now();
    expect(
      agentActivityOf({
        seq: 1,
        at,
        data: { kind: 'turn_failed', promptId: 'p', code: 'agent_hung', message: 'm' },
      }),
    ).toEqual({ type: 'agent.agent_hung', message: 'm' });
    expect(
      agentActivityOf({ seq: 2, at, data: { kind: 'agent_state', state: 'restarting', detail: 'exit 3' } })
        ?.type,
    ).toBe('agent.restarting');
    expect(
      agentActivityOf({
        seq: 3,
        at,
        data: { kind: 'update', promptId: 'p', update: { sessionUpdate: 'agent_message_chunk' } },
      }),
    ).toBeUndefined();
    expect(
      agentActivityOf({ seq: 4, at, data: { kind: 'prompt', promptId: 'p', text: 'x'.repeat(500) } })?.message
        .length,
    ).toBe(201);
  });
});

describe('Restart backoff', () => {
  it('grows exponentially up to the cap and spreads each delay over the upper half of its step', () => {
    const c = defaultBackoffConfig();
    expect(backoffDelay(c, 0, () => 0)).toBe(c.initialMs / 2);
    expect(backoffDelay(c, 0, () => 1)).toBe(c.initialMs);
    expect(backoffDelay(c, 3, () => 0)).toBe((c.initialMs * 8) / 2);
    expect(backoffDelay(c, 30, () => 1)).toBe(c.maxMs);
    const spread = new Set(Array.from({ length: 20 }, () => backoffDelay(c, 4)));
    expect(spread.size).toBeGreaterThan(1);
  });
});
