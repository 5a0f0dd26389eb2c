// The workspace runtime: a directory, an environment and an app command per workspace, confined by an Isolation.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  AgentState,
  WorkspaceAssignment,
  WorkspaceReport,
  WorkspaceStatus,
} from '../../contract/index.ts';
import type { ProcessRuntimeConfig } from '../config.ts';
import type {
  Isolation,
  LaunchedProcess,
  PreparedWorkspace,
  ResourcePressure,
  SpawnRequest,
  WorkspaceLimits,
} from './isolation.ts';
import { belongsToWorkspace, endGroup } from './process-group.ts';
import { createProcessIsolation } from './process-isolation.ts';
import type { Attachment, Runtime, WorkspaceHooks, WorkspaceTarget } from './runtime.ts';
import {
  createWorkspaceLogs,
  defaultWorkspaceLogsConfig,
  type LogWriter,
  type WorkspaceLogs,
} from './workspace-logs.ts';

interface Instance extends WorkspaceTarget {
  spec: WorkspaceAssignment;
  status: WorkspaceStatus;
  reason: string | undefined;
  port: number | undefined;
  host: string;
  env: Record<string, string>;
  /** Set once the isolation prepared the workspace for this run; undefined while stopped. */
  prepared: PreparedWorkspace | undefined;
  preparing: Promise<boolean> | undefined;
  /** Resource counters when this run began, so only new limit hits are reported. */
  pressure: ResourcePressure | undefined;
  /** What the runtime is driving toward; a process exit while `running` is a crash. */
  wanted: 'running' | 'stopped';
  proc: LaunchedProcess | undefined;
  startedAt: number;
  crashes: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  attachments: Set<Attachment>;
  /** Serialises stop/remove so two calls never race on the same group. */
  ending: Promise<void> | undefined;
  /** Why the workspace runs but is degraded (its agent failed); reported as `degraded` while it runs. */
  degraded: string | undefined;
  /** Its agent's state, reported with it; undefined until its agent first says (or when it runs none). */
  agentState: AgentState | undefined;
}

/** Below the data dir: one directory per workspace, and the node-private logs of their apps and agents. */
export const WORKSPACES_DIR = 'workspaces';
export const LOGS_DIR = 'logs';

/** Creates the runtime rooted at `dataDir/workspaces` with `isolation`; `hooks` extend every run (git credentials). */
export function createWorkspaceRuntime(
  dataDir: string,
  config: ProcessRuntimeConfig,
  isolation: Isolation,
  hooks?: WorkspaceHooks,
): Runtime {
  return new WorkspaceRuntime(dataDir, config, isolation, hooks);
}

/** The runtime without isolation (`--runtime process`, and unit tests of the lifecycle). */
export function createProcessRuntime(
  dataDir: string,
  config: ProcessRuntimeConfig,
  hooks?: WorkspaceHooks,
): Runtime {
  return new WorkspaceRuntime(dataDir, config, createProcessIsolation(resolve(dataDir, 'run')), hooks);
}

/** How often resource counters (OOM kills, refused forks) are read for running workspaces. */
const PRESSURE_POLL_MS = 1_000;

/** Lines of the app's output quoted in the status reason when it exits (the reason is at most 1000 characters). */
const QUOTED_LINES = 5;
const QUOTED_CHARS = 600;

/**
 * What a run of the workspace depends on: a change in any of it restarts the app (and the agent) with the new
 * spec; `generation` grows with each retry the user asks for, so the same spec can be started afresh.
 */
export function runFingerprint(spec: WorkspaceAssignment): string {
  const sorted = (r: Record<string, unknown> | undefined) =>
    Object.fromEntries(Object.entries(r ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify([
    spec.appCommand,
    spec.agentCommand ?? null,
    sorted(spec.env),
    sorted(spec.resources),
    spec.generation ?? 0,
  ]);
}

class WorkspaceRuntime implements Runtime {
  private readonly instances = new Map<string, Instance>();
  private readonly listeners: ((r: WorkspaceReport) => void)[] = [];
  private readonly root: string;
  private readonly pressureTimer: ReturnType<typeof setInterval>;
  readonly logs: WorkspaceLogs;

  constructor(
    dataDir: string,
    private readonly config: ProcessRuntimeConfig,
    readonly isolation: Isolation,
    private readonly hooks?: WorkspaceHooks,
  ) {
    this.root = join(dataDir, WORKSPACES_DIR);
    const logsDir = join(dataDir, LOGS_DIR);
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    mkdirSync(logsDir, { recursive: true, mode: 0o700 });
    this.logs = createWorkspaceLogs(logsDir, config.logs ?? defaultWorkspaceLogsConfig());
    this.pressureTimer = setInterval(() => this.checkPressure(), PRESSURE_POLL_MS);
    this.pressureTimer.unref?.();
  }

  start(spec: WorkspaceAssignment, leftoverPgid?: number): void {
    if (leftoverPgid !== undefined && belongsToWorkspace(leftoverPgid, spec.id)) {
      // A previous node process died without stopping this workspace: end what it left before starting anew.
      void endGroup(leftoverPgid, this.config.stopGraceMs);
    }
    const inst = this.upsert(spec);
    const wasRunning = inst.wanted === 'running';
    inst.wanted = 'running';
    const changed = runFingerprint(inst.spec) !== runFingerprint(spec);
    if ((inst.status === 'running' || inst.status === 'starting') && !changed) {
      inst.spec = spec;
      return;
    }
    // New limits need a new sandbox (its cgroup): the old one goes before the next run prepares.
    const limitsChanged = JSON.stringify(this.limits(inst.spec)) !== JSON.stringify(this.limits(spec));
    inst.spec = spec;
    inst.env = this.envFor(spec, inst);
    inst.crashes = 0;
    inst.degraded = undefined;
    if (changed && wasRunning && inst.status !== 'stopped')
      this.set(inst, 'starting', 'restarting with the new spec');
    const launch = async () => {
      if (inst.wanted !== 'running') return;
      if (limitsChanged) await this.release(inst);
      mkdirSync(inst.dir, { recursive: true, mode: 0o700 });
      if (!inst.prepared) this.set(inst, 'starting');
      if (!(await this.prepare(inst)) || inst.wanted !== 'running') return;
      inst.env = this.envFor(inst.spec, inst);
      if (!spec.appCommand) {
        this.set(inst, 'running');
        return;
      }
      this.set(inst, 'starting');
      this.launch(inst);
    };
    if (inst.ending) void inst.ending.then(launch);
    else if (inst.proc || (changed && inst.attachments.size > 0)) void this.end(inst).then(launch);
    else void launch();
  }

  degrade(id: string, reason: string | undefined): void {
    const inst = this.instances.get(id);
    if (!inst || inst.degraded === reason) return;
    inst.degraded = reason;
    this.emit(inst);
  }

  agentState(id: string, state: AgentState): void {
    const inst = this.instances.get(id);
    if (!inst || inst.agentState === state) return;
    inst.agentState = state;
    this.emit(inst);
  }

  register(spec: WorkspaceAssignment): void {
    const inst = this.upsert(spec);
    inst.spec = spec;
    inst.env = this.envFor(spec, inst);
  }

  async stop(id: string): Promise<void> {
    const inst = this.instances.get(id);
    if (!inst) return;
    inst.wanted = 'stopped';
    if (inst.status === 'stopped' && !inst.proc && !inst.ending) {
      this.hooks?.ended(id);
      return;
    }
    this.set(inst, 'stopping');
    await this.end(inst);
    if (inst.wanted === 'stopped') {
      this.hooks?.ended(id);
      await this.release(inst);
      this.set(inst, 'stopped');
    }
  }

  async remove(id: string): Promise<void> {
    const inst = this.instances.get(id);
    if (!inst) return;
    inst.wanted = 'stopped';
    this.set(inst, 'deleting');
    await this.end(inst);
    this.hooks?.ended(id);
    await this.release(inst);
    this.instances.delete(id);
    rmSync(inst.dir, { recursive: true, force: true });
    this.logs.remove(id);
    // The last word on it: listeners that list reports() see it gone (the mesh publishes its tombstone now).
    const gone: WorkspaceReport = { id, status: 'stopped', reason: 'deleted' };
    for (const l of this.listeners) l(gone);
  }

  get(id: string): WorkspaceTarget | undefined {
    return this.instances.get(id);
  }

  report(id: string): WorkspaceReport | undefined {
    const inst = this.instances.get(id);
    return inst && toReport(inst);
  }

  reports(): WorkspaceReport[] {
    return [...this.instances.values()].map(toReport);
  }

  processGroup(id: string): number | undefined {
    return this.instances.get(id)?.proc?.pid;
  }

  spawn(id: string, request: Omit<SpawnRequest, 'env'> & { env?: Record<string, string> }): LaunchedProcess {
    const inst = this.instances.get(id);
    // A workspace in `error` keeps its sandbox, so a terminal can still look into why.
    if (
      !inst?.prepared ||
      (inst.status !== 'running' && inst.status !== 'starting' && inst.status !== 'error')
    )
      throw new Error('the workspace is not running');
    return this.isolation.spawn(id, { ...request, env: { ...inst.env, ...request.env } });
  }

  get kind() {
    return this.isolation.kind;
  }

  attach(id: string, end: Attachment): () => void {
    const inst = this.instances.get(id);
    if (!inst) {
      end();
      return () => {};
    }
    inst.attachments.add(end);
    return () => inst.attachments.delete(end);
  }

  onChange(listener: (report: WorkspaceReport) => void): void {
    this.listeners.push(listener);
  }

  async shutdown(): Promise<void> {
    clearInterval(this.pressureTimer);
    await Promise.all(
      [...this.instances.values()].map(async (inst) => {
        inst.wanted = 'stopped';
        await this.end(inst);
        await this.release(inst);
      }),
    );
  }

  /** Readies the isolation for this run (uid, network, cgroup); a failure ends the run in `error`. */
  private prepare(inst: Instance): Promise<boolean> {
    if (inst.prepared) return Promise.resolve(true);
    // One preparation at a time per workspace: a second start while the first prepares waits for it.
    inst.preparing ??= this.prepareOnce(inst).finally(() => {
      inst.preparing = undefined;
    });
    return inst.preparing;
  }

  private async prepareOnce(inst: Instance): Promise<boolean> {
    try {
      inst.prepared = await this.isolation.prepare(inst.id, inst.dir, this.limits(inst.spec));
    } catch (e) {
      this.set(inst, 'error', `sandbox could not be set up: ${(e as Error).message}`.slice(0, 1000));
      return false;
    }
    inst.host = inst.prepared.host;
    inst.pressure = this.isolation.pressure(inst.id);
    return true;
  }

  private async release(inst: Instance): Promise<void> {
    if (!inst.prepared) return;
    inst.prepared = undefined;
    inst.pressure = undefined;
    await this.isolation.release(inst.id).catch((e: unknown) => {
      inst.reason = `sandbox teardown failed: ${(e as Error).message}`.slice(0, 1000);
    });
  }

  /** Node defaults with the workspace's own overrides. */
  private limits(spec: WorkspaceAssignment): WorkspaceLimits {
    return { ...this.config.limits, ...spec.resources };
  }

  /** Reports a new OOM kill or refused fork in the workspace's status reason (and so in its activity log). */
  private checkPressure(): void {
    for (const inst of this.instances.values()) {
      const hit = this.newPressure(inst);
      if (hit && (inst.status === 'running' || inst.status === 'starting')) this.set(inst, inst.status, hit);
    }
  }

  /** What limit the workspace ran into since the last look, as a sentence; undefined when none. */
  private newPressure(inst: Instance): string | undefined {
    if (!inst.prepared || !inst.pressure) return undefined;
    const now = this.isolation.pressure(inst.id);
    if (!now) return undefined;
    const before = inst.pressure;
    inst.pressure = now;
    const limits = this.limits(inst.spec);
    if (now.oomKills > before.oomKills)
      return `memory limit of ${limits.memoryMb} MiB reached: the kernel killed a process (out of memory)`;
    if (now.pidsDenied > before.pidsDenied)
      return `process limit of ${limits.pids} reached: new processes were refused`;
    return undefined;
  }

  private upsert(spec: WorkspaceAssignment): Instance {
    let inst = this.instances.get(spec.id);
    if (!inst) {
      const dir = join(this.root, spec.id);
      inst = {
        id: spec.id,
        ownerId: spec.ownerId,
        dir,
        spec,
        status: 'stopped',
        reason: undefined,
        port: undefined,
        host: '127.0.0.1',
        env: {},
        prepared: undefined,
        preparing: undefined,
        pressure: undefined,
        wanted: 'stopped',
        proc: undefined,
        startedAt: 0,
        crashes: 0,
        timer: undefined,
        attachments: new Set(),
        ending: undefined,
        degraded: undefined,
        agentState: undefined,
      };
      inst.env = this.envFor(spec, inst);
      this.instances.set(spec.id, inst);
    }
    return inst;
  }

  private envFor(spec: WorkspaceAssignment, inst: Instance): Record<string, string> {
    const env: Record<string, string> = {
      ...this.config.env,
      ...spec.env,
      HOME: inst.prepared?.home ?? inst.dir,
      WARREN_WORKSPACE_ID: spec.id,
    };
    if (inst.port !== undefined) env.PORT = String(inst.port);
    // Only a workspace prepared to run gets what the hooks issue (a stopped one is merely known).
    if (this.hooks && inst.wanted === 'running' && inst.prepared)
      Object.assign(env, this.hooks.environment(spec.id, env, inst.prepared));
    return env;
  }

  private launch(inst: Instance): void {
    const port = inst.port ?? freePort();
    inst.port = port;
    inst.env = this.envFor(inst.spec, inst);
    let proc: LaunchedProcess;
    // Before the spawn: every line of this run is read after it (the reason quotes this run's lines only).
    const startedAt = Date.now();
    try {
      proc = this.isolation.spawn(inst.id, {
        argv: [this.config.shell, '-c', inst.spec.appCommand ?? ''],
        env: inst.env,
        purpose: 'app',
        stdout: 'pipe',
        stderr: 'pipe',
      });
    } catch (e) {
      this.set(inst, 'error', `app command could not start: ${(e as Error).message}`);
      return;
    }
    const output = Promise.all([
      pump(proc.proc.stdout, this.logs.writer(inst.id, 'app', 'stdout')),
      pump(proc.proc.stderr, this.logs.writer(inst.id, 'app', 'stderr')),
    ]);
    inst.proc = proc;
    inst.startedAt = startedAt;
    this.emit(inst);
    void this.awaitReady(inst, proc);
    void proc.proc.exited.then(async (code) => {
      // Its last words belong in the reason: read them first, unless an escaped child still holds the pipes.
      await Promise.race([output, Bun.sleep(1000)]);
      this.exited(inst, proc, code);
    });
  }

  /** The last lines the app printed in this run, for a status reason; empty when it printed nothing. */
  private lastWords(inst: Instance): string {
    const since = new Date(inst.startedAt).toISOString();
    const lines = this.logs
      .tail(inst.id, QUOTED_LINES, 'app')
      .filter((l) => l.at >= since)
      .map((l) => l.text);
    let text = lines.join('\n');
    if (text.length > QUOTED_CHARS) text = `…${text.slice(-QUOTED_CHARS)}`;
    return text ? `\n${text}` : '';
  }

  /**
   * Polls the app port until it accepts connections; then the workspace is running. The watchdog:
   * an app that never listens ends in `error` with the reason, once, instead of `starting` forever.
   */
  private async awaitReady(inst: Instance, proc: LaunchedProcess): Promise<void> {
    let delay = 20;
    const deadline = Date.now() + this.config.readyTimeoutMs;
    while (inst.proc === proc && inst.wanted === 'running' && inst.status === 'starting') {
      if (await accepts(inst.host, inst.port!)) {
        if (inst.proc === proc && inst.wanted === 'running') this.set(inst, 'running');
        return;
      }
      if (Date.now() > deadline) {
        if (inst.proc !== proc || inst.wanted !== 'running') return;
        inst.wanted = 'stopped'; // its exit is not a crash to restart
        await this.end(inst);
        const s = Math.round(this.config.readyTimeoutMs / 1000);
        this.set(
          inst,
          'error',
          `app command did not listen on PORT ${inst.port} within ${s} s${this.lastWords(inst)}`,
        );
        inst.wanted = 'running';
        return;
      }
      await Bun.sleep(delay);
      delay = Math.min(delay * 2, 250);
    }
  }

  private exited(inst: Instance, proc: LaunchedProcess, code: number): void {
    if (inst.proc !== proc) return;
    inst.proc = undefined;
    if (inst.wanted !== 'running') return;
    // The leader died: end whatever else it started before trying again.
    void proc.end(this.config.stopGraceMs);
    if (Date.now() - inst.startedAt >= this.config.stableAfterMs) inst.crashes = 0;
    inst.crashes++;
    const signal = proc.proc.signalCode;
    const limit = this.newPressure(inst);
    const why = `app command exited with ${signal ? `signal ${signal}` : `code ${code}`}${limit ? ` (${limit})` : ''}`;
    const words = this.lastWords(inst);
    if (inst.crashes > this.config.maxRestarts) {
      this.set(inst, 'error', `${why}; gave up after ${inst.crashes} consecutive failures${words}`);
      return;
    }
    const delay = this.config.restartBaseMs * 2 ** (inst.crashes - 1);
    this.set(
      inst,
      'starting',
      `${why}; restart ${inst.crashes} of ${this.config.maxRestarts} in ${delay} ms${words}`,
    );
    inst.timer = setTimeout(() => {
      inst.timer = undefined;
      if (inst.wanted === 'running' && !inst.proc) this.launch(inst);
    }, delay);
  }

  /** Ends the app's process group and every attachment; resolves when nothing of the workspace runs. */
  private end(inst: Instance): Promise<void> {
    if (inst.ending) return inst.ending;
    if (inst.timer) clearTimeout(inst.timer);
    inst.timer = undefined;
    for (const a of inst.attachments) a();
    inst.attachments.clear();
    const proc = inst.proc;
    inst.proc = undefined;
    if (!proc) return Promise.resolve();
    const ending = (async () => {
      await proc.end(this.config.stopGraceMs);
      await proc.proc.exited;
    })().finally(() => {
      inst.ending = undefined;
    });
    inst.ending = ending;
    return ending;
  }

  private set(inst: Instance, status: WorkspaceStatus, reason?: string): void {
    if (inst.status === status && inst.reason === reason) return;
    inst.status = status;
    inst.reason = reason;
    this.emit(inst);
  }

  private emit(inst: Instance): void {
    const r = toReport(inst);
    for (const l of this.listeners) l(r);
  }
}

function toReport(inst: Instance): WorkspaceReport {
  // A degraded workspace still runs (the proxy and terminals treat it so); only what it reports says otherwise.
  const degraded = inst.status === 'running' && inst.degraded !== undefined;
  const r: WorkspaceReport = { id: inst.id, status: degraded ? 'degraded' : inst.status };
  const reason = degraded ? inst.degraded : inst.reason;
  if (reason !== undefined) r.reason = reason.slice(0, 1000);
  if (inst.port !== undefined) r.port = inst.port;
  if (inst.agentState !== undefined) r.agentState = inst.agentState;
  return r;
}

/** Feeds a process's output pipe to a log writer until it closes. */
async function pump(stream: unknown, writer: LogWriter): Promise<void> {
  if (!(stream instanceof ReadableStream)) return;
  try {
    for await (const chunk of stream as ReadableStream<Uint8Array>) writer.write(chunk);
  } catch {
    // The pipe breaks when the process dies; what was read is kept.
  }
  writer.end();
}

/** A loopback port nobody listens on right now. */
function freePort(): number {
  const l = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** True when something accepts TCP connections at host:port. */
async function accepts(hostname: string, port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname, port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}
