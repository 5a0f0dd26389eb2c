// The agent chat as turns: folds the node's transcript events (prompts, streamed ACP updates, ends) into
// what the chat shows. Pure, so replays after a reconnect land in the same picture.
import type { AgentEvent, AgentState, PermissionOption, PermissionToolCall } from '../contract/index.ts';

export interface ToolCall {
  id: string;
  title: string;
  status: string;
}

/** One prompt and everything the agent answered to it. */
export interface Turn {
  promptId: string;
  prompt: string;
  /** queued until the agent takes it; running while it answers. */
  phase: 'queued' | 'running' | 'ended' | 'failed';
  /** The agent's reply so far (agent_message_chunk text, in order). */
  reply: string;
  thinking: string;
  tools: ToolCall[];
  stopReason?: string;
  error?: { code: string; message: string };
}

/** A permission request of the agent, and how it was settled once it was. */
export interface PermissionAsk {
  requestId: string;
  promptId: string | null;
  toolCall: PermissionToolCall;
  options: PermissionOption[];
  answered?: { optionId: string | null; by: string };
}

export interface Transcript {
  turns: Turn[];
  /** Every permission request seen, oldest first; those without `answered` wait for a person. */
  permissions: PermissionAsk[];
  /** The highest event sequence number folded in; resume from here after a reconnect. */
  lastSeq: number;
  agent: { state: AgentState | 'unknown'; detail?: string };
}

export const emptyTranscript = (): Transcript => ({
  turns: [],
  permissions: [],
  lastSeq: 0,
  agent: { state: 'unknown' },
});

const textOf = (content: unknown): string => {
  const c = content as { type?: string; text?: string } | undefined;
  return c?.type === 'text' && typeof c.text === 'string' ? c.text : '';
};

/** Folds one event in; events at or below `lastSeq` (a replay overlap) are ignored. */
export function applyAgentEvent(t: Transcript, e: AgentEvent): Transcript {
  if (e.seq <= t.lastSeq) return t;
  const next: Transcript = { ...t, lastSeq: e.seq };
  const d = e.data;
  const withTurn = (promptId: string | null, change: (turn: Turn) => Turn): Transcript => {
    const i = next.turns.findIndex((x) => x.promptId === promptId);
    if (i < 0) return next;
    const turns = next.turns.slice();
    turns[i] = change(turns[i]!);
    return { ...next, turns };
  };
  switch (d.kind) {
    case 'prompt':
      return {
        ...next,
        turns: [
          ...next.turns,
          { promptId: d.promptId, prompt: d.text, phase: 'queued', reply: '', thinking: '', tools: [] },
        ],
      };
    case 'turn_started':
      return withTurn(d.promptId, (x) => ({ ...x, phase: 'running' }));
    case 'turn_ended':
      return withTurn(d.promptId, (x) => ({ ...x, phase: 'ended', stopReason: d.stopReason }));
    case 'turn_failed':
      return withTurn(d.promptId, (x) => ({
        ...x,
        phase: 'failed',
        error: { code: d.code, message: d.message },
      }));
    case 'agent_state':
      return { ...next, agent: { state: d.state, ...(d.detail ? { detail: d.detail } : {}) } };
    case 'update':
      return withTurn(d.promptId, (x) => applyUpdate(x, d.update));
    case 'permission_requested':
      return {
        ...next,
        permissions: [
          ...next.permissions.filter((p) => p.requestId !== d.requestId),
          { requestId: d.requestId, promptId: d.promptId, toolCall: d.toolCall, options: d.options },
        ],
      };
    case 'permission_answered':
      return {
        ...next,
        permissions: next.permissions.map((p) =>
          p.requestId === d.requestId ? { ...p, answered: { optionId: d.optionId, by: d.by } } : p,
        ),
      };
  }
}

/** The permission requests still waiting for a person's answer. */
export function waitingPermissions(t: Transcript): PermissionAsk[] {
  return t.permissions.filter((p) => !p.answered);
}

/** ACP `session/update` kinds the chat shows; others (plans, modes) are skipped for now. */
function applyUpdate(turn: Turn, u: { sessionUpdate: string; [k: string]: unknown }): Turn {
  switch (u.sessionUpdate) {
    case 'agent_message_chunk':
      return { ...turn, reply: turn.reply + textOf(u.content) };
    case 'agent_thought_chunk':
      return { ...turn, thinking: turn.thinking + textOf(u.content) };
    case 'tool_call': {
      const id = String(u.toolCallId ?? turn.tools.length);
      const call = { id, title: String(u.title ?? 'tool'), status: String(u.status ?? 'pending') };
      return { ...turn, tools: [...turn.tools.filter((c) => c.id !== id), call] };
    }
    case 'tool_call_update': {
      const id = String(u.toolCallId ?? '');
      return {
        ...turn,
        tools: turn.tools.map((c) =>
          c.id === id
            ? { ...c, status: String(u.status ?? c.status), title: u.title ? String(u.title) : c.title }
            : c,
        ),
      };
    }
    default:
      return turn;
  }
}

/** True while a turn runs or waits: the chat offers Cancel and queues follow-ups. */
export function busy(t: Transcript): boolean {
  return t.turns.some((x) => x.phase === 'running' || x.phase === 'queued');
}
