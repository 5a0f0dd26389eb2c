// The `sandbox` isolation: bubblewrap namespaces, a uid and a network namespace per workspace (root), cgroup limits.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  Isolation,
  IsolationKind,
  LaunchedProcess,
  PreparedWorkspace,
  ResourcePressure,
  SpawnRequest,
  WorkspaceLimits,
} from '../isolation.ts';
import { spawnInGroup } from '../process-isolation.ts';
import { type Cgroups, detectCgroups } from './cgroups.ts';
import { hasProgram, SandboxError } from './host-command.ts';
import { bwrapArgs, HOME_INSIDE, identityFiles, RUN_INSIDE } from './mount-view.ts';
import {
  createNetwork,
  destroyNetwork,
  ensureChains,
  parseSubnet,
  type SlotNetwork,
  slotNetwork,
} from './network.ts';
import { SlotTable } from './slots.ts';

/** The sandbox's settings (node/config.ts fills them from flags). */
export interface SandboxConfig {
  /** IPv4 block the workspaces' network namespaces get /30s from (`--workspace-subnet`). */
  subnet: string;
  /** Workspace uids are `uidBase + slot`: far above login users and the usual subordinate-id ranges. */
  uidBase: number;
  /** Destinations no workspace may reach through the host (cloud metadata, the tailnet). */
  denied: string[];
  /** Machine-wide folder shared by every node on the host (slot claims, the mount stage). */
  hostDir: string;
  /** Extra host folders shown read-only inside. */
  readOnly: string[];
  /** Extra host paths never shown (e.g. the control plane's data dir when it sits next to the node's). */
  hidden: string[];
  /** The shell named in the workspace user's passwd entry. */
  shell: string;
}

/** Warren's own code: bound read-only so the git helper scripts (and a node's own tools) resolve inside. */
const WARREN_ROOT = resolve(import.meta.dir, '../../..');

/**
 * Runs every process of a sandboxed workspace through one launcher:
 * root node:  sh (joins the cgroup) → unshare -m (stages home and sockets on a private mount) → nsenter into
 *             the workspace's network namespace → setpriv (its own uid, no new privileges) → bwrap → command;
 * other node: bwrap → command (user namespace with the node's uid, shared network, cgroups when writable).
 */
export function createSandboxIsolation(dataDir: string, config: SandboxConfig): Isolation {
  const bwrap = Bun.which('bwrap');
  if (!bwrap)
    throw new SandboxError(
      'unsupported',
      'the sandbox runtime needs bubblewrap (`apt-get install bubblewrap`); or start the node with --runtime process (no isolation)',
    );
  const root = process.getuid?.() === 0;
  if (root) {
    for (const p of ['setpriv', 'unshare', 'nsenter', 'ip', 'iptables', 'iptables-restore'])
      if (!hasProgram(p))
        throw new SandboxError(
          'unsupported',
          `the sandbox runtime on a root node needs ${p} (util-linux, iproute2, iptables)`,
        );
  }
  return new SandboxIsolation(dataDir, config, root);
}

interface Sandbox {
  prepared: PreparedWorkspace;
  slot: number | undefined;
  uid: number | undefined;
  network: SlotNetwork | undefined;
  sandboxDir: string;
  home: string;
  launches: number;
  /** Counters of launches whose leaf is gone. */
  retired: ResourcePressure;
}

class SandboxIsolation implements Isolation {
  readonly kind: IsolationKind;
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly cgroups: Cgroups | undefined;
  private readonly slots: SlotTable | undefined;
  private readonly nodeTag: string;
  private readonly dataDir: string;
  private readonly stage: string;
  private chains: Promise<void> | undefined;

  constructor(
    dataDir: string,
    private readonly config: SandboxConfig,
    private readonly root: boolean,
  ) {
    this.kind = root ? 'sandbox' : 'sandbox-shared-network';
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.dataDir = realpathSync(dataDir);
    // Stable per data dir: the same node finds what it left after a crash; two nodes on one host never collide.
    this.nodeTag = createHash('sha256').update(this.dataDir).digest('hex').slice(0, 10);
    this.cgroups = detectCgroups();
    this.stage = join(config.hostDir, 'stage');
    if (root) {
      mkdirSync(this.stage, { recursive: true, mode: 0o755 });
      const { blocks } = parseSubnet(config.subnet);
      this.slots = new SlotTable(config.hostDir, Math.min(blocks, 65_536));
    }
  }

  async prepare(workspaceId: string, dir: string, limits: WorkspaceLimits): Promise<PreparedWorkspace> {
    const known = this.sandboxes.get(workspaceId);
    if (known) return known.prepared;
    const sandboxDir = join(this.dataDir, 'sandbox', workspaceId);
    mkdirSync(join(sandboxDir, 'run'), { recursive: true, mode: 0o700 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    let slot: number | undefined;
    let uid: number | undefined;
    let network: SlotNetwork | undefined;
    try {
      if (this.slots) {
        slot = this.slots.claim({ nodeTag: this.nodeTag, workspaceId }, previousSlot(sandboxDir));
        writeFileSync(join(sandboxDir, 'slot'), `${slot}\n`);
        uid = this.config.uidBase + slot;
        ownTree(dir, uid);
        chownSync(join(sandboxDir, 'run'), uid, uid);
        chmodSync(sandboxDir, 0o755);
        network = slotNetwork(this.config.subnet, slot);
        this.chains ??= ensureChains();
        await this.chains;
        // A crash may have left this slot's namespace behind (a claim outlives the node that made it).
        await destroyNetwork(network, this.config.subnet, this.config.denied);
        await createNetwork(network, this.config.subnet, this.config.denied);
      }
      const ids = identityFiles(uid ?? process.getuid?.() ?? 1000, this.config.shell);
      writeFileSync(join(sandboxDir, 'passwd'), ids.passwd, { mode: 0o644 });
      writeFileSync(join(sandboxDir, 'group'), ids.group, { mode: 0o644 });
      this.cgroups?.create(this.group(workspaceId), limits);
    } catch (e) {
      if (network) await destroyNetwork(network, this.config.subnet, this.config.denied).catch(() => {});
      if (slot !== undefined) this.slots?.release(slot);
      throw e;
    }
    const prepared: PreparedWorkspace = {
      host: network?.address ?? '127.0.0.1',
      home: HOME_INSIDE,
      runDir: join(sandboxDir, 'run'),
      runInside: RUN_INSIDE,
    };
    this.sandboxes.set(workspaceId, {
      prepared,
      slot,
      uid,
      network,
      sandboxDir,
      home: dir,
      launches: 0,
      retired: { oomKills: 0, pidsDenied: 0 },
    });
    return prepared;
  }

  spawn(workspaceId: string, request: SpawnRequest): LaunchedProcess {
    const sb = this.sandboxes.get(workspaceId);
    if (!sb) throw new Error(`workspace ${workspaceId} is not prepared`);
    const leafName = `${request.purpose}-${++sb.launches}`;
    const group = this.group(workspaceId);
    const procsFiles = this.cgroups?.leaf(group, leafName) ?? [];
    const staged = this.root;
    const view = bwrapArgs({
      readOnly: [WARREN_ROOT, ...this.config.readOnly],
      hidden: [this.dataDir, ...this.config.hidden.map((h) => resolve(h))],
      home: staged ? join(this.stage, 'home') : sb.home,
      run: staged ? join(this.stage, 'sb', 'run') : join(sb.sandboxDir, 'run'),
      passwd: staged ? join(this.stage, 'sb', 'passwd') : join(sb.sandboxDir, 'passwd'),
      group: staged ? join(this.stage, 'sb', 'group') : join(sb.sandboxDir, 'group'),
      hostname: `ws-${workspaceId}`.slice(0, 63),
      newSession: !request.terminal,
    });
    const inner = ['bwrap', ...view, '--', ...request.argv];
    const argv = staged
      ? [
          '/bin/sh',
          '-c',
          ENTER,
          'warren-sandbox',
          procsFiles.join(' '),
          sb.home,
          sb.sandboxDir,
          sb.network ? `/run/netns/${sb.network.netns}` : '',
          this.stage,
          STAGE,
          'setpriv',
          `--reuid=${sb.uid}`,
          `--regid=${sb.uid}`,
          '--clear-groups',
          '--no-new-privs',
          '--inh-caps=-all',
          ...inner,
        ]
      : procsFiles.length > 0
        ? ['/bin/sh', '-c', JOIN_ONLY, 'warren-sandbox', procsFiles.join(' '), ...inner]
        : inner;
    const launched = spawnInGroup(argv, '/', request);
    if (!this.cgroups) return launched;
    const cgroups = this.cgroups;
    const leaf = [...group, leafName];
    const signalLeaf = (signal: 'SIGTERM' | 'SIGKILL', spareMonitor: boolean) => {
      for (const pid of cgroups.pids(leaf)) {
        // SIGTERM goes to the workspace's processes; bwrap itself would answer it by killing them at once.
        if (spareMonitor && pid === launched.pid) continue;
        try {
          process.kill(pid, signal);
        } catch {}
      }
    };
    // A launch's counters live in its leaf: keep them when the leaf goes (a shell killed by a refused fork
    // exits at once, before anyone looked).
    const retire = () => {
      const p = cgroups.pressure(leaf);
      sb.retired.oomKills += p.oomKills;
      sb.retired.pidsDenied += p.pidsDenied;
      return cgroups.remove(leaf);
    };
    let retiring: Promise<void> | undefined;
    const retireOnce = () => {
      retiring ??= retire();
      return retiring;
    };
    void launched.proc.exited.then(retireOnce);
    return {
      proc: launched.proc,
      pid: launched.pid,
      signal: (s) => signalLeaf(s, s === 'SIGTERM'),
      async end(graceMs) {
        signalLeaf('SIGTERM', true);
        const deadline = Date.now() + graceMs;
        while (Date.now() < deadline && cgroups.pids(leaf).length > 0) await Bun.sleep(25);
        if (cgroups.pids(leaf).length > 0) signalLeaf('SIGKILL', false);
        await retireOnce();
        await launched.proc.exited;
      },
    };
  }

  pressure(workspaceId: string): ResourcePressure | undefined {
    const sb = this.sandboxes.get(workspaceId);
    if (!this.cgroups || !sb) return undefined;
    const live = this.cgroups.pressure(this.group(workspaceId));
    return {
      oomKills: live.oomKills + sb.retired.oomKills,
      pidsDenied: live.pidsDenied + sb.retired.pidsDenied,
    };
  }

  async release(workspaceId: string): Promise<void> {
    const sb = this.sandboxes.get(workspaceId);
    this.sandboxes.delete(workspaceId);
    await this.cgroups?.remove(this.group(workspaceId));
    this.cgroups?.removeIfEmpty(['warren', this.nodeTag]);
    if (sb?.network) await destroyNetwork(sb.network, this.config.subnet, this.config.denied);
    if (sb?.slot !== undefined) this.slots?.release(sb.slot);
  }

  async reconcile(): Promise<void> {
    if (this.cgroups) {
      for (const id of this.cgroups.children(['warren', this.nodeTag]))
        if (!this.sandboxes.has(id)) await this.cgroups.remove(['warren', this.nodeTag, id]);
    }
    for (const { slot, workspaceId } of this.slots?.ownedBy(this.nodeTag) ?? []) {
      if (this.sandboxes.has(workspaceId)) continue;
      await destroyNetwork(slotNetwork(this.config.subnet, slot), this.config.subnet, this.config.denied);
      this.slots?.release(slot);
    }
  }

  private group(workspaceId: string): string[] {
    return ['warren', this.nodeTag, workspaceId];
  }
}

/**
 * Runs as root in the launch's own process: joins the workspace's cgroup first (so everything after is
 * counted and limited), then re-executes itself in a private mount namespace with STAGE.
 */
const ENTER = `set -e
procs=$1; shift
for f in $procs; do echo $$ > "$f"; done
home=$1 sb=$2 net=$3 stage=$4 script=$5; shift 5
exec unshare --mount --propagation private -- /bin/sh -c "$script" warren-stage "$home" "$sb" "$net" "$stage" "$@"`;

/**
 * In the private mount namespace: the node's data dir is 0700, so the workspace's uid could not reach its home
 * there; the home and its socket folder are bound onto a stage only this launch sees, then the network
 * namespace is entered and the rest (setpriv → bwrap → command) runs.
 */
const STAGE = `set -e
home=$1 sb=$2 net=$3 stage=$4; shift 4
mount -t tmpfs -o mode=0755,size=64k warren-stage "$stage"
mkdir "$stage/home" "$stage/sb"
mount --bind "$home" "$stage/home"
mount --bind "$sb" "$stage/sb"
if [ -n "$net" ]; then exec nsenter --net="$net" "$@"; fi
exec "$@"`;

/** Joins the cgroups, then runs the command (a node that is not root but may write its cgroups). */
const JOIN_ONLY = `procs=$1; shift
for f in $procs; do echo $$ > "$f" || exit 126; done
exec "$@"`;

function previousSlot(sandboxDir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(sandboxDir, 'slot'), 'utf8').trim());
    return Number.isInteger(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Gives the home to the workspace's uid (again, when it got another slot since) and closes it to others. */
function ownTree(dir: string, uid: number): void {
  chmodSync(dir, 0o700);
  if (statSync(dir).uid === uid) return;
  const r = Bun.spawnSync(['chown', '-R', `${uid}:${uid}`, dir]);
  if (r.exitCode !== 0) throw new SandboxError('host_command_failed', `chown of ${dir} failed`);
}
