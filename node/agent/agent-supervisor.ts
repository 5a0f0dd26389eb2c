// Keeps a workspace's agent process alive: spawn, ACP handshake, restart with jittered backoff when it
// exits or hangs, and a watchdog per turn so a prompt in flight ends exactly once, never left pending.
import * as v from 'valibot';
import type { AgentFailure, AgentState } from '../../contract/index.ts';
import {
  ACP_PROTOCOL_VERSION,
  InitializeResult,
  NewSessionResult,
  PermissionRequest,
  PromptResult,
  RPC_INVALID_PARAMS,
  RPC_METHOD_NOT_FOUND,
  SessionNotification,
} from './acp-schema.ts';
import { type AgentCommand, type AgentProcess, spawnAgentProcess } from './agent-process.ts';
import { type BackoffConfig, backoffDelay, defaultBackoffConfig } from './backoff.ts';
import { RpcError } from './json-rpc-connection.ts';

export interface AgentSupervisorConfig {
  /** 10 s: `initialize` and `session/new` must answer by then, or the agent counts as hung and is restarted. */
  requestTimeoutMs: number;
  /** 5 min: a turn with no message at all from the agent for this long is hung; the watchdog ends it. */
  turnIdleTimeoutMs: number;
  /** 5 s: after `session/cancel` the agent must end the turn by then (ACP says it MUST), or it is killed. */
  cancelGraceMs: number;
  /** 3 s between SIGTERM and SIGKILL when the node stops an agent. */
  killGraceMs: number;
  /** 60 s: a prompt waits this long for the agent to be ready before it fails with `agent_unavailable`. */
  readyTimeoutMs: number;
  /** 5 exits in a row without a stable run mark the agent `failed` (a new prompt tries again). */
  maxConsecutiveFailures: number;
  /** 30 s: an agent ready this long before it exits counts as stable, so the backoff starts over. */
  stableAfterMs: number;
  backoff: BackoffConfig;
  /**
   * 60 s: a task whose agent has waited this long on a person's answer to a permission request shows
   * `needs_input` (long enough that a person watching the chat answers first, short enough to be noticed).
   */
  needsInputAfterMs: number;
}

export function defaultAgentSupervisorConfig(): AgentSupervisorConfig {
  return {
    requestTimeoutMs: 10_000,
    turnIdleTimeoutMs: 5 * 60_000,
    cancelGraceMs: 5_000,
    killGraceMs: 3_000,
    readyTimeoutMs: 60_000,
    maxConsecutiveFailures: 5,
    stableAfterMs: 30_000,
    backoff: defaultBackoffConfig(),
    needsInputAfterMs: 60_000,
  };
}

/** A validated `session/request_permission` of the agent, as the session hands it on. */
export type PermissionAsk = v.InferOutput<typeof PermissionRequest>;

/** How a turn ended: the agent's stop reason, or a failure the bridge decided. Exactly one per turn. */
export type TurnResult =
  | { ok: true; stopReason: string; forced?: boolean }
  | { ok: false; code: AgentFailure; message: string };

export interface AgentSupervisorOptions {
  command: AgentCommand;
  config: AgentSupervisorConfig;
  /** Every `session/update` the agent sends (its `update` object). */
  onUpdate(update: { sessionUpdate: string; [k: string]: unknown }): void;
  onState?(state: AgentState, detail?: string): void;
  /**
   * The agent asks for permission: resolve with the chosen `optionId`, or null to answer `cancelled`. The turn's
   * watchdog waits meanwhile (a person may take long). Absent: refused (a reject option, else `cancelled`).
   */
  onPermission?(request: PermissionAsk): Promise<string | null>;
  random?: () => number;
  clientVersion?: string;
}

export interface AgentSupervisor {
  readonly state: AgentState;
  /** The agent's pid while one runs (tests and diagnostics). */
  readonly pid: number | undefined;
  /** Starts the agent (again, after `failed` or `stopped`). */
  start(): void;
  /** Runs one prompt turn; resolves exactly once, never rejects. One turn at a time. */
  runTurn(text: string): Promise<TurnResult>;
  /** Asks the agent to cancel the running turn; false when none runs. */
  cancel(): boolean;
  /** Stops the agent (its whole process group); a running turn fails with `agent_unavailable`. */
  stop(): Promise<void>;
}

interface Turn {
  proc: AgentProcess;
  cancelled: boolean;
  /** Permission requests of this turn waiting on an answer: no idle watchdog meanwhile. */
  asking: number;
  idle?: ReturnType<typeof setTimeout>;
  grace?: ReturnType<typeof setTimeout>;
  finish(result: TurnResult): void;
}

type Waiter = (ok: boolean, detail?: string) => void;

export function createAgentSupervisor(options: AgentSupervisorOptions): AgentSupervisor {
  const { command, config } = options;
  const random = options.random ?? Math.random;
  let state: AgentState = 'stopped';
  let proc: AgentProcess | undefined;
  let acpSession: string | undefined;
  let readyAt: number | undefined;
  let failures = 0;
  let stopping = false;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  let turn: Turn | undefined;
  let waiters: Waiter[] = [];

  const setState = (next: AgentState, detail?: string) => {
    state = next;
    options.onState?.(next, detail);
    if (next === 'ready' || next === 'failed' || next === 'stopped') {
      const ws = waiters;
      waiters = [];
      for (const w of ws) w(next === 'ready', detail);
    }
  };

  /**
   * The agent `p` is on its way out (killed, or its pipe closed): it is no longer ready, so the next turn waits
   * for the restarted agent instead of being sent to the dying one before its exit is seen.
   */
  let condemned: AgentProcess | undefined;
  const condemn = (p: AgentProcess, detail: string) => {
    if (p !== proc || state !== 'ready') return;
    condemned = p;
    setState('restarting', detail);
  };

  const armIdle = (t: Turn) => {
    if (t.idle) clearTimeout(t.idle);
    t.idle = undefined;
    if (t.asking > 0) return;
    t.idle = setTimeout(() => {
      condemn(t.proc, 'the agent hung');
      t.finish({
        ok: false,
        code: 'agent_hung',
        message: `the agent sent nothing for ${config.turnIdleTimeoutMs} ms; it was restarted`,
      });
      t.proc.signal('SIGKILL');
    }, config.turnIdleTimeoutMs);
  };

  const handlers = (self: () => AgentProcess | undefined) => ({
    activity() {
      if (turn && turn.proc === self()) armIdle(turn);
    },
    notification(method: string, params: unknown) {
      if (method !== 'session/update') return;
      const n = v.safeParse(SessionNotification, params);
      if (n.success && n.output.sessionId === acpSession && self() === proc)
        options.onUpdate(n.output.update);
    },
    async request(method: string, params: unknown) {
      if (method !== 'session/request_permission')
        throw new RpcError('remote', `method not supported: ${method}`, RPC_METHOD_NOT_FOUND);
      const p = v.safeParse(PermissionRequest, params);
      if (!p.success) throw new RpcError('remote', 'invalid params', RPC_INVALID_PARAMS);
      const selected = (optionId: string | null | undefined) =>
        optionId ? { outcome: { outcome: 'selected', optionId } } : { outcome: { outcome: 'cancelled' } };
      if (!options.onPermission) {
        const reject = p.output.options.find((o) => o.kind === 'reject_once' || o.kind === 'reject_always');
        return selected(reject?.optionId);
      }
      const t = turn && turn.proc === self() ? turn : undefined;
      if (t) {
        t.asking++;
        armIdle(t);
      }
      try {
        return selected(await options.onPermission(p.output));
      } finally {
        if (t) {
          t.asking--;
          if (turn === t) armIdle(t);
        }
      }
    },
  });

  const onExit = (p: AgentProcess, code: number) => {
    if (p !== proc) return;
    proc = undefined;
    acpSession = undefined;
    turn?.finish({
      ok: false,
      code: 'agent_crashed',
      message: `the agent exited (code ${code}); it is restarted`,
    });
    if (stopping) return setState('stopped');
    const stable = readyAt !== undefined && Date.now() - readyAt >= config.stableAfterMs;
    failures = stable ? 1 : failures + 1;
    readyAt = undefined;
    if (failures >= config.maxConsecutiveFailures)
      return setState('failed', `the agent exited ${failures} times in a row (last code ${code})`);
    // A condemned agent announced its restart already.
    if (condemned !== p) setState('restarting', `the agent exited (code ${code})`);
    restartTimer = setTimeout(spawn, backoffDelay(config.backoff, failures - 1, random));
  };

  const handshake = async (p: AgentProcess) => {
    const init = v.safeParse(
      InitializeResult,
      await p.rpc.request(
        'initialize',
        {
          protocolVersion: ACP_PROTOCOL_VERSION,
          clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
          clientInfo: { name: 'warren', version: options.clientVersion ?? '0' },
        },
        config.requestTimeoutMs,
      ),
    );
    if (!init.success || init.output.protocolVersion !== ACP_PROTOCOL_VERSION)
      throw new Error('the agent does not speak ACP v1');
    const session = v.safeParse(
      NewSessionResult,
      await p.rpc.request('session/new', { cwd: command.cwd, mcpServers: [] }, config.requestTimeoutMs),
    );
    if (!session.success) throw new Error('the agent answered session/new without a sessionId');
    return session.output.sessionId;
  };

  const spawn = () => {
    restartTimer = undefined;
    if (stopping) return;
    if (state !== 'restarting') setState('starting');
    let p: AgentProcess;
    let current: AgentProcess | undefined;
    try {
      p = spawnAgentProcess(
        command,
        handlers(() => current),
      );
    } catch {
      // Could not even start (e.g. the command does not exist): same path as an exit, code 127 as a shell says.
      const none = { pid: -1 } as AgentProcess;
      proc = none;
      return onExit(none, 127);
    }
    current = p;
    proc = p;
    void p.exited.then((code) => onExit(p, code));
    handshake(p).then(
      (sessionId) => {
        if (proc !== p) return;
        acpSession = sessionId;
        readyAt = Date.now();
        setState('ready');
      },
      () => p.signal('SIGKILL'),
    );
  };

  const waitReady = (): Promise<{ ok: boolean; detail?: string }> => {
    if (state === 'ready') return Promise.resolve({ ok: true });
    if (stopping) return Promise.resolve({ ok: false, detail: 'the agent is stopped' });
    if (state === 'failed' || state === 'stopped') {
      failures = 0;
      spawn();
      if ((state as AgentState) === 'ready') return Promise.resolve({ ok: true });
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiters = waiters.filter((w) => w !== waiter);
        resolve({ ok: false, detail: `the agent was not ready within ${config.readyTimeoutMs} ms` });
      }, config.readyTimeoutMs);
      const waiter: Waiter = (ok, detail) => {
        clearTimeout(timer);
        resolve(detail === undefined ? { ok } : { ok, detail });
      };
      waiters.push(waiter);
    });
  };

  const runTurn = async (text: string): Promise<TurnResult> => {
    if (turn) return { ok: false, code: 'agent_error', message: 'a turn is already running' };
    const ready = await waitReady();
    const p = proc;
    const sessionId = acpSession;
    if (!ready.ok || !p || !sessionId)
      return { ok: false, code: 'agent_unavailable', message: ready.detail ?? 'the agent is not running' };
    return new Promise<TurnResult>((resolve) => {
      let settled = false;
      const t: Turn = {
        proc: p,
        cancelled: false,
        asking: 0,
        finish(result) {
          if (settled) return;
          settled = true;
          if (t.idle) clearTimeout(t.idle);
          if (t.grace) clearTimeout(t.grace);
          if (turn === t) turn = undefined;
          resolve(result);
        },
      };
      turn = t;
      armIdle(t);
      p.rpc.request('session/prompt', { sessionId, prompt: [{ type: 'text', text }] }, null).then(
        (raw) => {
          const r = v.safeParse(PromptResult, raw);
          if (!r.success)
            return t.finish({
              ok: false,
              code: 'agent_error',
              message: 'the agent answered without a stopReason',
            });
          t.finish({ ok: true, stopReason: r.output.stopReason });
        },
        (e: RpcError) => {
          if (e.code === 'closed') {
            condemn(p, 'the agent exited');
            t.finish({ ok: false, code: 'agent_crashed', message: 'the agent exited; it is restarted' });
          } else
            t.finish({
              ok: false,
              code: 'agent_error',
              message: `the agent failed the prompt: ${e.message}`,
            });
        },
      );
    });
  };

  return {
    get state() {
      return state;
    },
    get pid() {
      return proc && proc.pid > 0 ? proc.pid : undefined;
    },
    start() {
      stopping = false;
      if (state === 'stopped' || state === 'failed') {
        failures = 0;
        spawn();
      }
    },
    runTurn,
    cancel() {
      const t = turn;
      if (!t || t.cancelled || !acpSession) return false;
      t.cancelled = true;
      t.proc.rpc.notify('session/cancel', { sessionId: acpSession });
      t.grace = setTimeout(() => {
        condemn(t.proc, 'the agent ignored a cancel');
        t.finish({ ok: true, stopReason: 'cancelled', forced: true });
        t.proc.signal('SIGKILL');
      }, config.cancelGraceMs);
      return true;
    },
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = undefined;
      turn?.finish({ ok: false, code: 'agent_unavailable', message: 'the agent was stopped' });
      const p = proc;
      if (!p || p.pid < 0) {
        proc = undefined;
        if (state !== 'stopped') setState('stopped');
        return;
      }
      p.signal('SIGTERM');
      const killer = setTimeout(() => p.signal('SIGKILL'), config.killGraceMs);
      await p.exited;
      clearTimeout(killer);
    },
  };
}
