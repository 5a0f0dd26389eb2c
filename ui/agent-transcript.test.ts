// The agent chat's transcript fold: streamed replies, queued follow-ups, failures, tools, and replay overlap.
import { describe, expect, it } from 'bun:test';
import type { AgentEvent, AgentEventData } from '../contract/index.ts';
import { applyAgentEvent, busy, emptyTranscript, waitingPermissions } from './agent-transcript.ts';

let seq = 0;
const ev = (data: AgentEventData): AgentEvent => ({ seq: ++seq, at: Date.now(), data });
const chunk = (promptId: string, text: string): AgentEventData => ({
  kind: 'update',
  promptId,
  update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } },
});
const fold = (events: AgentEvent[]) => events.reduce(applyAgentEvent, emptyTranscript());

describe('Agent transcript', () => {
  it('streams a reply into its turn and ends it', () => {
    seq = 0;
    const t = fold([
      ev({ kind: 'agent_state', state: 'ready' }),
      ev({ kind: 'prompt', promptId: 'p1', text: 'hello' }),
      ev({ kind: 'turn_started', promptId: 'p1' }),
      ev(chunk('p1', 'hel')),
      ev(chunk('p1', 'lo back')),
    ]);
    expect(t.turns).toHaveLength(1);
    expect(t.turns[0]).toMatchObject({ prompt: 'hello', phase: 'running', reply: 'hello back' });
    expect(busy(t)).toBe(true);
    const ended = applyAgentEvent(t, ev({ kind: 'turn_ended', promptId: 'p1', stopReason: 'end_turn' }));
    expect(ended.turns[0]).toMatchObject({ phase: 'ended', stopReason: 'end_turn' });
    expect(busy(ended)).toBe(false);
    expect(ended.agent.state).toBe('ready');
    expect(ended.lastSeq).toBe(seq);
  });

  it('keeps a follow-up queued while the first turn runs, each reply in its own turn', () => {
    seq = 0;
    const t = fold([
      ev({ kind: 'prompt', promptId: 'a', text: 'first' }),
      ev({ kind: 'turn_started', promptId: 'a' }),
      ev({ kind: 'prompt', promptId: 'b', text: 'follow-up' }),
      ev(chunk('a', 'one')),
      ev({ kind: 'turn_ended', promptId: 'a', stopReason: 'end_turn' }),
      ev({ kind: 'turn_started', promptId: 'b' }),
      ev(chunk('b', 'two')),
    ]);
    expect(t.turns.map((x) => [x.prompt, x.phase, x.reply])).toEqual([
      ['first', 'ended', 'one'],
      ['follow-up', 'running', 'two'],
    ]);
  });

  it('records a failed turn with its code and message, and tool calls with their latest status', () => {
    seq = 0;
    const t = fold([
      ev({ kind: 'prompt', promptId: 'x', text: 'go' }),
      ev({ kind: 'turn_started', promptId: 'x' }),
      ev({
        kind: 'update',
        promptId: 'x',
        update: { sessionUpdate: 'tool_call', toolCallId: 't1', title: 'Read file', status: 'pending' },
      }),
      ev({
        kind: 'update',
        promptId: 'x',
        update: { sessionUpdate: 'tool_call_update', toolCallId: 't1', status: 'completed' },
      }),
      ev({ kind: 'turn_failed', promptId: 'x', code: 'agent_crashed', message: 'the agent exited' }),
    ]);
    expect(t.turns[0]!.tools).toEqual([{ id: 't1', title: 'Read file', status: 'completed' }]);
    expect(t.turns[0]).toMatchObject({ phase: 'failed', error: { code: 'agent_crashed' } });
  });

  it('ignores events it already has, so a resume that overlaps does not double the text', () => {
    seq = 0;
    const events = [
      ev({ kind: 'prompt', promptId: 'p', text: 'q' }),
      ev({ kind: 'turn_started', promptId: 'p' }),
      ev(chunk('p', 'abc')),
    ];
    const once = fold(events);
    const twice = events.reduce(applyAgentEvent, once);
    expect(twice.turns[0]!.reply).toBe('abc');
    expect(twice).toBe(once);
  });

  it('keeps a permission request waiting until its answer arrives, also in a replay', () => {
    seq = 0;
    const prompt = ev({ kind: 'prompt', promptId: 'p1', text: '/permission' });
    const asked = ev({
      kind: 'permission_requested',
      requestId: 'r1',
      promptId: 'p1',
      toolCall: { title: 'write a file' },
      options: [{ optionId: 'yes', name: 'Allow', kind: 'allow_once' }],
    });
    const waiting = fold([prompt, asked]);
    expect(waitingPermissions(waiting).map((p) => p.requestId)).toEqual(['r1']);
    const answered = applyAgentEvent(
      waiting,
      ev({ kind: 'permission_answered', requestId: 'r1', optionId: 'yes', by: 'person' }),
    );
    expect(waitingPermissions(answered)).toEqual([]);
    expect(answered.permissions[0]?.answered).toEqual({ optionId: 'yes', by: 'person' });
  });
});
