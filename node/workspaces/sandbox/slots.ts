// Host-wide slots: each sandboxed workspace on a machine holds one, which gives it a uid and an address block.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxError } from './host-command.ts';

/** Who holds a slot: a node (by its tag) and one of its workspaces. */
export interface SlotOwner {
  nodeTag: string;
  workspaceId: string;
}

/**
 * Slots are claimed with mkdir in a folder every node on the machine shares (several nodes may run on one
 * host: `warren up --nodes 3`, tests), so two workspaces never get the same uid, namespace or addresses. The
 * folder lives under /run: it is empty after a reboot, exactly when namespaces and rules are gone too.
 */
export class SlotTable {
  private readonly dir: string;

  constructor(
    hostDir: string,
    private readonly count: number,
  ) {
    this.dir = join(hostDir, 'slots');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** Claims `preferred` if free (a workspace keeps its uid across restarts), else the lowest free slot. */
  claim(owner: SlotOwner, preferred?: number): number {
    const held = this.held(owner);
    if (held !== undefined) return held;
    const order = preferred !== undefined && preferred < this.count ? [preferred] : [];
    for (const slot of order.concat(Array.from({ length: this.count }, (_, i) => i))) {
      try {
        mkdirSync(join(this.dir, String(slot)));
      } catch {
        continue;
      }
      writeFileSync(join(this.dir, String(slot), 'owner'), `${owner.nodeTag} ${owner.workspaceId}\n`);
      return slot;
    }
    throw new SandboxError('no_free_slot', `all ${this.count} workspace slots of this machine are taken`);
  }

  release(slot: number): void {
    rmSync(join(this.dir, String(slot)), { recursive: true, force: true });
  }

  /** Slots held by `nodeTag`, with the workspace each belongs to. */
  ownedBy(nodeTag: string): { slot: number; workspaceId: string }[] {
    const out: { slot: number; workspaceId: string }[] = [];
    for (const name of readdirSync(this.dir)) {
      const owner = this.owner(Number(name));
      if (owner?.nodeTag === nodeTag) out.push({ slot: Number(name), workspaceId: owner.workspaceId });
    }
    return out;
  }

  private held(owner: SlotOwner): number | undefined {
    return this.ownedBy(owner.nodeTag).find((s) => s.workspaceId === owner.workspaceId)?.slot;
  }

  private owner(slot: number): SlotOwner | undefined {
    try {
      const [nodeTag, workspaceId] = readFileSync(join(this.dir, String(slot), 'owner'), 'utf8')
        .trim()
        .split(' ');
      return nodeTag && workspaceId ? { nodeTag, workspaceId } : undefined;
    } catch {
      return undefined;
    }
  }
}
