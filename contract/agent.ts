// The agent chat wire between a client (UI, CLI) and a node's `/w/{id}/_agent` WebSocket: client messages,
// transcript events and server messages.
import * as v from 'valibot';

/** Most characters one prompt may carry; the agent gets it as one ACP text content block. */
export const AGENT_PROMPT_MAX = 100_000;

/** What a client sends on the agent WebSocket (one JSON text frame each). */
export const AgentClientMessage = v.variant('type', [
  /** A prompt; while a turn runs it is queued and sent when that turn ends (ACP runs one turn at a time). */
  v.object({
    type: v.literal('prompt'),
    text: v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(AGENT_PROMPT_MAX)),
  }),
  /** Cancels the running turn (ACP `session/cancel`); queued prompts stay queued. */
  v.object({ type: v.literal('cancel') }),
  /** Replays every transcript event with `seq > afterSeq`, then continues live. */
  v.object({
    type: v.literal('resume'),
    afterSeq: v.pipe(v.number(), v.integer(), v.minValue(0)),
  }),
]);
export type AgentClientMessage = v.InferOutput<typeof AgentClientMessage>;

/** Why a turn ended without an ACP stop reason: the bridge, not the agent, ended it. */
export const AGENT_FAILURES = ['agent_crashed', 'agent_hung', 'agent_unavailable', 'agent_error'] as const;
export const AgentFailure = v.picklist(AGENT_FAILURES);
export type AgentFailure = v.InferOutput<typeof AgentFailure>;

/** ACP stop reasons (protocol v1); unknown future values are kept as strings. */
export const ACP_STOP_REASONS = [
  'end_turn',
  'max_tokens',
  'max_turn_requests',
  'refusal',
  'cancelled',
] as const;

/** The agent process as the bridge sees it. */
export const AGENT_STATES = ['starting', 'ready', 'restarting', 'failed', 'stopped'] as const;
export const AgentState = v.picklist(AGENT_STATES);
export type AgentState = v.InferOutput<typeof AgentState>;

/** One transcript event's payload. Each prompt gets exactly one `turn_ended` or `turn_failed`. */
export const AgentEventData = v.variant('kind', [
  /** A prompt was accepted (and queued if a turn was running). */
  v.object({ kind: v.literal('prompt'), promptId: v.string(), text: v.string() }),
  v.object({ kind: v.literal('turn_started'), promptId: v.string() }),
  /** An ACP `session/update` as the agent sent it (`update.sessionUpdate` names its kind). */
  v.object({
    kind: v.literal('update'),
    promptId: v.nullable(v.string()),
    update: v.looseObject({ sessionUpdate: v.string() }),
  }),
  v.object({
    kind: v.literal('turn_ended'),
    promptId: v.string(),
    stopReason: v.string(),
    /** True when the agent ignored a cancel and the bridge ended the turn by killing it. */
    forced: v.optional(v.boolean()),
  }),
  /** The terminal error of a turn the agent never finished (crash, hang, no agent). */
  v.object({
    kind: v.literal('turn_failed'),
    promptId: v.string(),
    code: AgentFailure,
    message: v.string(),
  }),
  v.object({ kind: v.literal('agent_state'), state: AgentState, detail: v.optional(v.string()) }),
]);
export type AgentEventData = v.InferOutput<typeof AgentEventData>;

/** A transcript event: numbered per session from 1 without gaps. `at` is ms since the epoch. */
export const AgentEvent = v.object({
  seq: v.pipe(v.number(), v.integer(), v.minValue(1)),
  at: v.number(),
  data: AgentEventData,
});
export type AgentEvent = v.InferOutput<typeof AgentEvent>;

/** What the node sends on the agent WebSocket. */
export const AgentServerMessage = v.variant('type', [
  /** Sent once on open: the session, its last sequence number and the agent's state. */
  v.object({
    type: v.literal('hello'),
    sessionId: v.string(),
    lastSeq: v.number(),
    state: AgentState,
  }),
  v.object({ type: v.literal('event'), ...AgentEvent.entries }),
  /** A client message was refused; the connection stays open. */
  v.object({ type: v.literal('error'), code: v.string(), message: v.string() }),
]);
export type AgentServerMessage = v.InferOutput<typeof AgentServerMessage>;

/** `GET /w/{id}/_agent/search?q=` on the node: turns of the workspace's transcript matching every word. */
export const TranscriptSearchQuery = v.object({ q: v.pipe(v.string(), v.maxLength(500)) });
export const TranscriptHit = v.object({
  promptId: v.string(),
  /** The matching text with matches marked « and ». */
  snippet: v.string(),
});
export type TranscriptHit = v.InferOutput<typeof TranscriptHit>;
export const TranscriptSearchResult = v.object({ items: v.array(TranscriptHit) });
export type TranscriptSearchResult = v.InferOutput<typeof TranscriptSearchResult>;
