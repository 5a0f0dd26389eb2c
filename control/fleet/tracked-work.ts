// Work on one node machine (create, delete, a pool node's provisioning) with the progress record the API shows,
// and the one way such work fails: the record says why, the log warns, and what is left of the node is removed.
import type { NodeProvisioning, ProgressEvent } from '../../contract/index.ts';
import type { Log } from '../log.ts';
import type { ProviderKind } from '../providers/index.ts';

/** A node's record and the work behind it. */
export interface TrackedEntry {
  record: NodeProvisioning;
  /** Resolves when the work has ended, whichever way (never rejects). */
  done: Promise<void>;
}

/** Records of finished work are kept this long, so a client polling a little late still sees the end. */
const RECORD_TTL_MS = 3_600_000;

export interface WorkOptions {
  /** The record's state while the work runs, and once it succeeded. */
  state: 'provisioning' | 'deleting';
  success: 'ready' | 'deleted';
  /** What the work is, for the log: `node provisioning`. */
  what: string;
  /**
   * On failure, remove everything of the node: nothing of a failed node may stay behind (no machine, no tailnet
   * device, no row: a half-created cloud stack costs money).
   */
  cleanUp: boolean;
}

/** Says in the log that `what` failed, with its message; for `.catch` where a failure is only reported. */
export function logFailure(log: Log, what: string, fields: Record<string, unknown> = {}) {
  return (error: unknown): void =>
    log.error(`${what} failed`, { ...fields, message: (error as Error).message });
}

/** The fleet's work in flight and recently ended, by node id. */
export class TrackedWork {
  private readonly entries = new Map<string, TrackedEntry>();

  constructor(
    private readonly deps: {
      provider: ProviderKind;
      log: Log;
      /** Removes everything of a node (its machine, tailnet device and row); the clean-up after a failure. */
      destroy(nodeId: string): Promise<void>;
    },
  ) {}

  /**
   * Starts `work` on `nodeId` under a fresh record (its progress events go there) and answers the entry at once.
   * When the work throws, the record says `failed` with the message, the log warns, and with `cleanUp` the node
   * is destroyed; a failing clean-up is logged too.
   */
  run(
    nodeId: string,
    o: WorkOptions,
    work: (onProgress: (e: ProgressEvent) => void) => Promise<void>,
  ): TrackedEntry {
    const entry: TrackedEntry = {
      record: { nodeId, provider: this.deps.provider, state: o.state, events: [] },
      done: Promise.resolve(),
    };
    this.entries.set(nodeId, entry);
    const { record } = entry;
    entry.done = work((e) => record.events.push(e))
      .then(
        () => {
          record.state = o.success;
        },
        (error) => this.failed(record, error, o),
      )
      .finally(() => {
        const timer = setTimeout(() => {
          if (this.entries.get(nodeId) === entry) this.entries.delete(nodeId);
        }, RECORD_TTL_MS);
        timer.unref();
      });
    return entry;
  }

  /** The record of `nodeId`'s current or recent work. */
  record(nodeId: string): NodeProvisioning | undefined {
    return this.entries.get(nodeId)?.record;
  }

  /** Resolves when `nodeId`'s current work has ended. */
  async settled(nodeId: string): Promise<void> {
    await this.entries.get(nodeId)?.done;
  }

  /** Resolves when all work has ended. */
  async drained(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.done));
  }

  private async failed(record: NodeProvisioning, error: unknown, o: WorkOptions): Promise<void> {
    const nodeId = record.nodeId;
    record.state = 'failed';
    record.error = (error as Error).message.slice(0, 1000);
    this.deps.log.warn(`${o.what} failed`, { node: nodeId, message: record.error });
    if (o.cleanUp)
      await this.deps
        .destroy(nodeId)
        .catch(logFailure(this.deps.log, `cleaning up after ${o.what}`, { node: nodeId }));
  }
}
