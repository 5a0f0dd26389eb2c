// The agent chat wire between a client (UI, CLI) and a node's `/w/{id}/_agent` WebSocket: client messages,
// transcript events and server messages.
import * as v from 'valibot';

/** Most characters one prompt may carry; the agent gets it as one ACP text content block. */
export const AGENT_PROMPT_MAX = 100_000;

/** An ACP permission option's id. */
const OptionId = v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(200));

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
  /** Answers a pending permission request of this workspace's agent with one of its options. */
  v.object({
    type: v.literal('permission'),
    requestId: v.pipe(v.string(), v.maxLength(100)),
    optionId: OptionId,
  }),
]);
export type AgentClientMessage = v.InferOutput<typeof AgentClientMessage>;

/**
 * How a workspace's agent permission requests (ACP `session/request_permission`) are answered, a project setting:
 * `ask` (the default) waits for a person (chat, task page, API, CLI); `allow` picks the agent's allow option at once.
 */
export const PERMISSION_POLICIES = ['ask', 'allow'] as const;
export const PermissionPolicy = v.picklist(PERMISSION_POLICIES);
export type PermissionPolicy = v.InferOutput<typeof PermissionPolicy>;

/** ACP permission option kinds (protocol v1). */
export const PERMISSION_OPTION_KINDS = [
  'allow_once',
  'allow_always',
  'reject_once',
  'reject_always',
] as const;

/** One choice the agent offers, as ACP names it. */
export const PermissionOption = v.object({
  optionId: OptionId,
  name: v.pipe(v.string(), v.maxLength(500)),
  kind: v.picklist(PERMISSION_OPTION_KINDS),
});
export type PermissionOption = v.InferOutput<typeof PermissionOption>;

/** What the agent wants to do, as its ACP `toolCall` describes it (the fields a person needs to decide). */
export const PermissionToolCall = v.object({
  toolCallId: v.optional(v.pipe(v.string(), v.maxLength(500))),
  title: v.optional(v.pipe(v.string(), v.maxLength(2000))),
  kind: v.optional(v.pipe(v.string(), v.maxLength(100))),
});
export type PermissionToolCall = v.InferOutput<typeof PermissionToolCall>;

/** A permission request waiting for a person's answer. */
export const AgentPermissionRequest = v.object({
  /** Warren's id of the request (not the agent's JSON-RPC id). */
  id: v.string(),
  workspaceId: v.string(),
  /** The task whose turn asked, or null for a chat prompt. */
  taskId: v.nullable(v.string()),
  promptId: v.nullable(v.string()),
  toolCall: PermissionToolCall,
  options: v.array(PermissionOption),
  /** ISO 8601. */
  createdAt: v.string(),
  /**
   * True after a node restart: the agent process that asked is gone. The answer sends the interrupted prompt to
   * the restarted agent and answers its matching request with the chosen option at once.
   */
  resumed: v.boolean(),
});
export type AgentPermissionRequest = v.InferOutput<typeof AgentPermissionRequest>;

/** A person's answer: one of the request's `optionId`s. */
export const PermissionAnswer = v.object({ optionId: OptionId });
export type PermissionAnswer = v.InferOutput<typeof PermissionAnswer>;

/** Who settled a permission request: a person, the project's `allow` policy, or nobody (its turn ended first). */
export const PERMISSION_ANSWERERS = ['person', 'policy', 'withdrawn'] as const;

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
  /** The agent asked for permission; a person answers it unless the project's policy is `allow`. */
  v.object({
    kind: v.literal('permission_requested'),
    requestId: v.string(),
    promptId: v.nullable(v.string()),
    toolCall: PermissionToolCall,
    options: v.array(PermissionOption),
  }),
  /** The request was settled: `optionId` is what the agent got (null: withdrawn, the agent got `cancelled`). */
  v.object({
    kind: v.literal('permission_answered'),
    requestId: v.string(),
    optionId: v.nullable(v.string()),
    by: v.picklist(PERMISSION_ANSWERERS),
  }),
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
