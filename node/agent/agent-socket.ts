// The `/w/{id}/_agent` WebSocket as handlers over Bun's ServerWebSocket. The proxy checks the token
// (`agent` scope; `?token=` is accepted on this path) and upgrades with `{ workspaceId }` before these run.
import type { ServerWebSocket } from 'bun';
import {
  AgentClientMessage,
  type AgentEvent,
  type AgentServerMessage,
  decode,
} from '../../contract/index.ts';
import type { AgentSession } from './agent-session.ts';

/** What the proxy must put in `server.upgrade(req, { data })` for the agent path. */
export interface AgentSocketData {
  workspaceId: string;
  /** Optional `?afterSeq=` of the URL: replay from there on open. */
  afterSeq?: number;
}

export interface AgentSocketOptions {
  /** The workspace's agent session, or undefined when it has no agent command. */
  sessionFor(workspaceId: string): AgentSession | undefined;
  /**
   * Answers a permission request of this workspace's agent; throws an error with a `code` (not_found,
   * invalid_request, conflict) to refuse. A request of another workspace is unknown here.
   */
  answer?(workspaceId: string, requestId: string, optionId: string): void;
  /** 4 MiB: a client this far behind is closed (1013) and should resume with its last seq. */
  maxBufferedBytes?: number;
}

/** Close codes the agent socket uses. */
export const AGENT_SOCKET_CLOSE = { noAgent: 4404, tooSlow: 1013, going: 1001, replaced: 1012 } as const;

export interface AgentSocketHandler<D extends AgentSocketData> {
  open(ws: ServerWebSocket<D>): void;
  message(ws: ServerWebSocket<D>, message: string | Buffer): void;
  close(ws: ServerWebSocket<D>, code?: number, reason?: string): void;
}

interface Connection {
  session: AgentSession;
  unsubscribe?: () => void;
  /** Bumped by each (re)subscription so a late one cannot revive an older one. */
  generation: number;
}

/** Builds the handlers; mount them on the proxy's `websocket` option for upgrades of the agent path. */
export function createAgentSocketHandler<D extends AgentSocketData>(
  options: AgentSocketOptions,
): AgentSocketHandler<D> {
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const connections = new WeakMap<ServerWebSocket<D>, Connection>();

  const send = (ws: ServerWebSocket<D>, m: AgentServerMessage) => {
    if (ws.readyState !== 1) return;
    ws.send(JSON.stringify(m));
    if (ws.getBufferedAmount() > maxBuffered) ws.close(AGENT_SOCKET_CLOSE.tooSlow, 'too far behind; resume');
  };
  const refuse = (ws: ServerWebSocket<D>, code: string, message: string) =>
    send(ws, { type: 'error', code, message });

  const follow = async (ws: ServerWebSocket<D>, c: Connection, afterSeq: number | undefined) => {
    c.unsubscribe?.();
    c.unsubscribe = undefined;
    const generation = ++c.generation;
    const unsubscribe = await c.session.subscribe({
      ...(afterSeq === undefined ? {} : { afterSeq }),
      hello: (lastSeq) =>
        send(ws, { type: 'hello', sessionId: c.session.sessionId, lastSeq, state: c.session.state }),
      send: (e: AgentEvent) => send(ws, { type: 'event', ...e }),
    });
    if (generation !== c.generation || connections.get(ws) !== c) unsubscribe();
    else c.unsubscribe = unsubscribe;
  };

  return {
    open(ws) {
      const session = options.sessionFor(ws.data.workspaceId);
      if (!session) {
        refuse(ws, 'not_found', 'this workspace has no agent');
        ws.close(AGENT_SOCKET_CLOSE.noAgent, 'no agent');
        return;
      }
      const c: Connection = { session, generation: 0 };
      connections.set(ws, c);
      void follow(ws, c, ws.data.afterSeq);
    },
    message(ws, raw) {
      const c = connections.get(ws);
      if (!c) return;
      if (typeof raw !== 'string') return refuse(ws, 'invalid_request', 'send JSON text frames');
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return refuse(ws, 'invalid_request', 'not JSON');
      }
      const m = decode(AgentClientMessage, json);
      if (!m.ok) return refuse(ws, 'invalid_request', m.issues[0]?.message ?? 'invalid message');
      const msg = m.value;
      if (msg.type === 'prompt')
        c.session.prompt(msg.text).catch(() => {
          // The session was stopped (a cancelled task, a stopped workspace): a new connection gets the new one.
          refuse(ws, 'unavailable', 'the agent session is closed; reconnect');
          ws.close(AGENT_SOCKET_CLOSE.replaced, 'agent session closed');
        });
      else if (msg.type === 'cancel') {
        if (!c.session.cancel()) refuse(ws, 'conflict', 'no turn is running');
      } else if (msg.type === 'permission') {
        try {
          if (!options.answer) return refuse(ws, 'not_found', 'permission request not found');
          // The socket's token is for ws.data.workspaceId only: the answer is looked up within that workspace.
          options.answer(ws.data.workspaceId, msg.requestId, msg.optionId);
        } catch (e) {
          const code = (e as { code?: unknown }).code;
          refuse(ws, typeof code === 'string' ? code : 'internal', (e as Error).message);
        }
      } else void follow(ws, c, msg.afterSeq);
    },
    close(ws) {
      const c = connections.get(ws);
      connections.delete(ws);
      c?.unsubscribe?.();
    },
  };
}
