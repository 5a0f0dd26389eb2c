// The Agent Client Protocol (v1) as the bridge speaks it: JSON-RPC 2.0 framing and the shapes of the
// agent's answers, validated at runtime because an agent is a program we do not control.
import * as v from 'valibot';
import { PermissionOption } from '../../contract/index.ts';

/** The ACP protocol version this bridge speaks (agentclientprotocol.com, protocol v1). */
export const ACP_PROTOCOL_VERSION = 1;

const Id = v.union([v.string(), v.number()]);

/** Any well-formed JSON-RPC 2.0 message, told apart by which fields it has. */
export const JsonRpcMessage = v.union([
  v.object({
    jsonrpc: v.literal('2.0'),
    id: Id,
    method: v.string(),
    params: v.optional(v.unknown()),
  }),
  v.object({ jsonrpc: v.literal('2.0'), method: v.string(), params: v.optional(v.unknown()) }),
  v.object({ jsonrpc: v.literal('2.0'), id: v.nullable(Id), result: v.unknown() }),
  v.object({
    jsonrpc: v.literal('2.0'),
    id: v.nullable(Id),
    error: v.object({ code: v.number(), message: v.string(), data: v.optional(v.unknown()) }),
  }),
]);
export type JsonRpcMessage = v.InferOutput<typeof JsonRpcMessage>;

/** `initialize` result: the agent must answer with a protocol version we can speak. */
export const InitializeResult = v.looseObject({
  protocolVersion: v.number(),
  agentCapabilities: v.optional(v.looseObject({ loadSession: v.optional(v.boolean()) })),
});

/** `session/new` result. */
export const NewSessionResult = v.looseObject({ sessionId: v.pipe(v.string(), v.minLength(1)) });

/** `session/prompt` result: the turn is over when it arrives. */
export const PromptResult = v.looseObject({ stopReason: v.pipe(v.string(), v.minLength(1)) });

/** `session/update` notification params. */
export const SessionNotification = v.object({
  sessionId: v.string(),
  update: v.looseObject({ sessionUpdate: v.string() }),
});

/** `session/request_permission` params (agent → client request): the options a person picks from, and the tool call. */
export const PermissionRequest = v.looseObject({
  sessionId: v.string(),
  toolCall: v.optional(
    v.looseObject({
      toolCallId: v.optional(v.string()),
      title: v.optional(v.nullable(v.string())),
      kind: v.optional(v.nullable(v.string())),
    }),
    {},
  ),
  options: v.pipe(v.array(PermissionOption), v.minLength(1), v.maxLength(20)),
});

/** JSON-RPC error codes the bridge answers with. */
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
