// One agent session of a workspace: the prompt queue, the transcript, and the live subscribers. Prompts
// run one turn at a time (ACP allows one `session/prompt` per session at once); follow-ups sent while a
// turn runs are recorded at once and sent to the agent, in order, when the running turn ends.
import type {
  AgentEvent,
  AgentEventData,
  AgentState,
  PermissionOption,
  PermissionToolCall,
} from '../../contract/index.ts';
import type { AgentCommand } from './agent-process.ts';
import {
  type AgentSupervisor,
  type AgentSupervisorConfig,
  createAgentSupervisor,
} from './agent-supervisor.ts';
import type { TranscriptStore } from './transcript-store.ts';

export interface AgentSessionOptions {
  /** Warren's id of the session (its transcript key); it outlives agent restarts. */
  sessionId: string;
  store: TranscriptStore;
  command: AgentCommand;
  config: AgentSupervisorConfig;
  /** Sees every event once it is stored (for the activity log or task sync). */
  onEvent?(event: AgentEvent): void;
  /** Where the agent's permission requests go; absent: each is refused. */
  permissions?: SessionPermissions;
}

/** A session's permission requests, answered elsewhere (node/agent/permission-desk.ts). */
export interface SessionPermissions {
  /** The running turn's agent asks; resolves with the chosen optionId, or null (the agent gets `cancelled`). */
  ask(request: {
    promptId: string | null;
    prompt: string;
    toolCall: PermissionToolCall;
    options: PermissionOption[];
  }): Promise<string | null>;
  /** The turn `promptId` ended or was cancelled: its waiting requests are withdrawn. */
  withdraw(promptId: string): void;
}

export interface AgentSubscription {
  /** Replay events after this one first; absent: only what comes next. */
  afterSeq?: number;
  /** Called once, before any event, with the session's last sequence number. */
  hello?(lastSeq: number): void;
  send(event: AgentEvent): void;
}

/** How one prompt's turn ended, with the agent's text for it (joined message chunks, at most 64 KiB). */
export interface TurnOutcome {
  promptId: string;
  end: Extract<AgentEventData, { kind: 'turn_ended' | 'turn_failed' }>;
  text: string;
}

/** Most agent text kept per turn for the search index and the task summary. */
const TURN_TEXT_MAX = 64 * 1024;

export interface AgentSession {
  readonly sessionId: string;
  readonly state: AgentState;
  /** The agent's pid while it runs. */
  readonly pid: number | undefined;
  /** Records the prompt and queues it; it runs when the turns before it have ended. `done` never rejects. */
  prompt(text: string): Promise<{ promptId: string; seq: number; done: Promise<TurnOutcome> }>;
  /** Cancels the running turn (withdrawing its permission requests); false when none runs. Queued prompts stay. */
  cancel(): boolean;
  /** Stores one event in the transcript and sends it to the subscribers, in order with the agent's own. */
  record(data: AgentEventData): Promise<AgentEvent>;
  /** Replays what the subscriber missed, then sends each new event; no gap, no repeat. Returns unsubscribe. */
  subscribe(subscription: AgentSubscription): Promise<() => void>;
  /** True when no turn runs and none is queued. */
  idle(): boolean;
  /** Stops the agent; queued prompts end with `agent_unavailable`. */
  close(): Promise<void>;
}

interface Subscriber {
  lastSent: number;
  send(event: AgentEvent): void;
}

/** Creates the session and starts its agent. */
export function createAgentSession(options: AgentSessionOptions): AgentSession {
  const { sessionId, store } = options;
  const subscribers = new Set<Subscriber>();
  const queue: { promptId: string; text: string; done(outcome: TurnOutcome): void }[] = [];
  let output = '';
  let running: string | undefined;
  let runningText = '';
  let closed = false;
  // Every store write and every delivery goes through this chain, so subscribers see the stored order.
  let chain: Promise<unknown> = Promise.resolve();

  const deliver = (sub: Subscriber, e: AgentEvent) => {
    if (e.seq <= sub.lastSent) return;
    sub.lastSent = e.seq;
    sub.send(e);
  };

  const emit = (data: AgentEventData): Promise<AgentEvent> => {
    const next = chain.then(async () => {
      const e = await store.append(sessionId, data);
      for (const sub of subscribers) deliver(sub, e);
      options.onEvent?.(e);
      return e;
    });
    chain = next.catch(() => undefined);
    return next;
  };

  const supervisor: AgentSupervisor = createAgentSupervisor({
    command: options.command,
    config: options.config,
    onUpdate: (update) => {
      const content = update.content as { type?: string; text?: unknown } | undefined;
      if (running && update.sessionUpdate === 'agent_message_chunk' && typeof content?.text === 'string')
        output = (output + content.text).slice(0, TURN_TEXT_MAX);
      void emit({ kind: 'update', promptId: running ?? null, update });
    },
    onState: (state, detail) =>
      void emit(
        detail === undefined ? { kind: 'agent_state', state } : { kind: 'agent_state', state, detail },
      ),
    onPermission: async (request) => {
      if (!options.permissions) return null;
      const tc = request.toolCall;
      const text = (s: string | null | undefined, max: number) =>
        typeof s === 'string' ? { value: s.slice(0, max) } : undefined;
      const title = text(tc.title, 2000);
      const kind = text(tc.kind, 100);
      const id = text(tc.toolCallId, 500);
      return options.permissions.ask({
        promptId: running ?? null,
        prompt: runningText,
        toolCall: {
          ...(id ? { toolCallId: id.value } : {}),
          ...(title ? { title: title.value } : {}),
          ...(kind ? { kind: kind.value } : {}),
        },
        options: request.options,
      });
    },
  });

  const pump = async (): Promise<void> => {
    if (running !== undefined || closed) return;
    const next = queue.shift();
    if (!next) return;
    running = next.promptId;
    runningText = next.text;
    output = '';
    const promptId = next.promptId;
    await emit({ kind: 'turn_started', promptId });
    const r = await supervisor.runTurn(next.text);
    // A request the agent left unanswered when its turn ended (a crash, a hang) has nobody to answer any more.
    options.permissions?.withdraw(promptId);
    const end: TurnOutcome['end'] = r.ok
      ? { kind: 'turn_ended', promptId, stopReason: r.stopReason, ...(r.forced ? { forced: true } : {}) }
      : { kind: 'turn_failed', promptId, code: r.code, message: r.message };
    await finish(next, end, output);
    running = undefined;
    return pump();
  };

  /** Stores the turn's one terminal event, indexes the turn for search, and settles its `done`. */
  const finish = async (p: (typeof queue)[number], end: TurnOutcome['end'], text: string) => {
    await emit(end);
    await store.indexTurn(sessionId, p.promptId, p.text, text).catch(() => undefined);
    p.done({ promptId: p.promptId, end, text });
  };

  supervisor.start();

  return {
    sessionId,
    get state() {
      return supervisor.state;
    },
    get pid() {
      return supervisor.pid;
    },
    async prompt(text) {
      if (closed) throw new Error('the agent session is closed');
      const promptId = crypto.randomUUID();
      const e = await emit({ kind: 'prompt', promptId, text });
      let done!: (o: TurnOutcome) => void;
      const settled = new Promise<TurnOutcome>((resolve) => {
        done = resolve;
      });
      queue.push({ promptId, text, done });
      void pump();
      return { promptId, seq: e.seq, done: settled };
    },
    cancel() {
      if (!supervisor.cancel()) return false;
      // ACP: after session/cancel the client answers every pending request of the turn with `cancelled`.
      if (running) options.permissions?.withdraw(running);
      return true;
    },
    record: emit,
    subscribe(subscription) {
      const sub: Subscriber = { lastSent: 0, send: subscription.send };
      const ready = chain.then(async () => {
        const last = await store.lastSeq(sessionId);
        subscription.hello?.(last);
        // A cursor past the end (a transcript that was reset) replays nothing and goes live from here.
        sub.lastSent = Math.min(subscription.afterSeq ?? last, last);
        // Replay in pages; the chain holds new events back until the replay is done.
        while (sub.lastSent < last) {
          const page = await store.after(sessionId, sub.lastSent, 1000);
          if (page.length === 0) break;
          for (const e of page) deliver(sub, e);
        }
        subscribers.add(sub);
      });
      chain = ready.catch(() => undefined);
      return ready.then(() => () => void subscribers.delete(sub));
    },
    idle: () => running === undefined && queue.length === 0,
    async close() {
      closed = true;
      const dropped = queue.splice(0);
      await supervisor.stop();
      for (const p of dropped)
        await finish(
          p,
          {
            kind: 'turn_failed',
            promptId: p.promptId,
            code: 'agent_unavailable',
            message: 'the agent was stopped',
          },
          '',
        );
      await chain;
    },
  };
}
