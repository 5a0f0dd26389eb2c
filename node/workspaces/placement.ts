// Placement: applies the control plane's workspace assignments to the runtime and remembers them across restarts.
import type { WorkspaceAssignment, WorkspaceReport } from '../../contract/index.ts';
import type { StateStore, StoredWorkspace } from '../state-store.ts';
import type { Runtime } from './runtime.ts';
import { runFingerprint } from './workspace-runtime.ts';

/** Reconciles the runtime toward assigned desired states; persists specs so a restarted node keeps them. */
export class Placement {
  private readonly specs = new Map<string, WorkspaceAssignment>();

  constructor(
    private readonly runtime: Runtime,
    private readonly store: StateStore,
    private readonly log: (msg: string) => void = () => {},
  ) {
    runtime.onChange(() => this.persist());
  }

  /** Brings back what the previous run of this node hosted: running ones start again, stopped ones are known. */
  restore(): void {
    for (const w of this.store.loadWorkspaces()) {
      this.specs.set(w.spec.id, w.spec);
      if (w.spec.desiredState === 'running') this.runtime.start(w.spec, w.pgid);
      else this.runtime.register(w.spec);
    }
    this.persist();
  }

  /** Applies one assignment; resolves when a stop or delete has finished (a start only begins). */
  async apply(spec: WorkspaceAssignment): Promise<WorkspaceReport> {
    const prev = this.specs.get(spec.id);
    switch (spec.desiredState) {
      case 'running':
        this.specs.set(spec.id, spec);
        this.persist();
        this.runtime.start(spec);
        break;
      case 'stopped':
        this.specs.set(spec.id, spec);
        this.runtime.register(spec);
        this.persist();
        await this.runtime.stop(spec.id);
        break;
      case 'deleted':
        if (prev) this.log(`deleting workspace ${spec.id}`);
        await this.runtime.remove(spec.id);
        this.specs.delete(spec.id);
        this.persist();
        // Gone from this node: the report says so once, later heartbeats no longer list it.
        return { id: spec.id, status: 'stopped', reason: 'deleted' };
    }
    return this.runtime.report(spec.id) ?? { id: spec.id, status: 'pending' };
  }

  /**
   * Reconciles toward the full list from a heartbeat. Workspaces this node hosts that the list does not
   * mention are stopped, not deleted: losing a row on the control plane must not destroy a workspace's files.
   */
  async reconcile(all: WorkspaceAssignment[]): Promise<void> {
    const listed = new Set<string>();
    const work: Promise<unknown>[] = [];
    for (const spec of all) {
      listed.add(spec.id);
      const prev = this.specs.get(spec.id);
      const status = this.runtime.report(spec.id)?.status;
      const settled =
        spec.desiredState === 'deleted'
          ? !prev && status === undefined
          : prev !== undefined &&
            prev.desiredState === spec.desiredState &&
            // An edit or a retry whose push was lost arrives with the heartbeat: a new spec is applied.
            runFingerprint(prev) === runFingerprint(spec) &&
            (spec.desiredState !== 'running' || status !== 'stopped');
      if (!settled) work.push(this.apply(spec));
    }
    for (const [id, spec] of this.specs) {
      if (!listed.has(id) && spec.desiredState !== 'stopped') {
        this.log(`workspace ${id} is no longer assigned here; stopping it`);
        work.push(this.apply({ ...spec, desiredState: 'stopped' }));
      }
    }
    await Promise.all(work);
  }

  /** The spec of a workspace this node hosts. */
  spec(id: string): WorkspaceAssignment | undefined {
    return this.specs.get(id);
  }

  get size(): number {
    return this.specs.size;
  }

  private persist(): void {
    const out: StoredWorkspace[] = [];
    for (const spec of this.specs.values()) {
      const w: StoredWorkspace = { spec };
      const pgid = this.runtime.processGroup(spec.id);
      if (pgid !== undefined) w.pgid = pgid;
      const port = this.runtime.report(spec.id)?.port;
      if (port !== undefined) w.port = port;
      out.push(w);
    }
    this.store.saveWorkspaces(out);
  }
}
