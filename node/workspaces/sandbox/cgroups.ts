// Cgroups for workspaces, v1 (one hierarchy per controller) and v2 (unified): limits, membership, pressure, removal.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourcePressure, WorkspaceLimits } from '../isolation.ts';

/** The controllers a workspace is limited by. */
const CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
/** CFS period for the CPU limit: the kernel's default, 100 ms. */
const CPU_PERIOD_US = 100_000;

/** One workspace's cgroup (a folder per hierarchy on v1, one folder on v2) with a leaf per launch. */
export interface Cgroups {
  readonly version: 1 | 2;
  /** Creates `group` (path segments under the root) with `limits`. */
  create(group: string[], limits: WorkspaceLimits): void;
  /** Creates the leaf `name` under `group`; returns the `cgroup.procs` files a launch joins (one per hierarchy). */
  leaf(group: string[], name: string): string[];
  /** Pids in `group` (and all its leaves). */
  pids(group: string[]): number[];
  pressure(group: string[]): ResourcePressure;
  /** Child folder names under `group` (to find what an earlier run left). */
  children(group: string[]): string[];
  /** Kills every process left in `group` and removes it with its leaves. */
  remove(group: string[]): Promise<void>;
  /** Removes `group` if nothing is in it any more (a node's folder once its last workspace is gone). */
  removeIfEmpty(group: string[]): void;
}

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (another workspace, another process) or already gone.
  }
}

/**
 * Finds a writable cgroup setup under `root` (default /sys/fs/cgroup): v2 when the unified hierarchy offers
 * memory and pids, else v1 when the memory and pids hierarchies are mounted; undefined when neither is usable
 * (a non-root node without delegation): workspaces then run without resource limits.
 */
export function detectCgroups(root = '/sys/fs/cgroup'): Cgroups | undefined {
  try {
    const v2 = readFileSync(join(root, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (v2.includes('memory') && v2.includes('pids') && canCreateUnder(join(root, 'warren')))
      return new CgroupsV2(root, v2.includes('cpu'));
  } catch {}
  if (existsSync(join(root, 'memory', 'cgroup.procs')) && existsSync(join(root, 'pids', 'cgroup.procs'))) {
    const dirs = CONTROLLERS.filter((c) => existsSync(join(root, c, 'cgroup.procs'))).map(
      (c) => [c, join(root, c)] as const,
    );
    return dirs.every(([, h]) => canCreateUnder(join(h, 'warren')))
      ? new CgroupsV1(new Map(dirs))
      : undefined;
  }
  return undefined;
}

/**
 * True when this process may make cgroups under `dir` (created if missing): a node that is not root usually may
 * not, and then runs its workspaces without limits instead of failing every start.
 */
function canCreateUnder(dir: string): boolean {
  const probe = join(dir, `.probe-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

function readCounter(file: string, key: string): number {
  try {
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${key} `));
    return line ? Number(line.split(' ')[1]) || 0 : 0;
  } catch {
    return 0;
  }
}

/**
 * A counter summed over the workspace's cgroup and its launch leaves: depending on the kernel, a refused fork
 * is counted where the limit sits or where the fork was tried.
 */
function counterOverTree(dir: string, file: string, key: string): number {
  return subdirs(dir).reduce(
    (n, leaf) => n + readCounter(join(dir, leaf, file), key),
    readCounter(join(dir, file), key),
  );
}

function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

/** Kills what is in `dirs` (and below), then removes the folders deepest first; retries while processes exit. */
async function killAndRemove(dirs: string[]): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    let left = 0;
    for (const dir of dirs) {
      for (const leaf of subdirs(dir)) {
        for (const pid of readPids(join(dir, leaf, 'cgroup.procs'))) {
          left++;
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
        }
        try {
          rmdirSync(join(dir, leaf));
        } catch {}
      }
      for (const pid of readPids(join(dir, 'cgroup.procs'))) {
        left++;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
      try {
        if (existsSync(dir)) rmdirSync(dir);
      } catch {}
    }
    if (dirs.every((d) => !existsSync(d)) || Date.now() > deadline) return;
    await Bun.sleep(left > 0 ? 20 : 50);
  }
}

class CgroupsV1 implements Cgroups {
  readonly version = 1;
  constructor(private readonly hierarchies: Map<string, string>) {}

  private dirs(group: string[]): string[] {
    return [...this.hierarchies.values()].map((h) => join(h, ...group));
  }

  create(group: string[], limits: WorkspaceLimits): void {
    for (const [controller, h] of this.hierarchies) {
      const dir = join(h, ...group);
      mkdirSync(dir, { recursive: true });
      if (controller === 'memory')
        writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limits.memoryMb * 2 ** 20));
      if (controller === 'pids') writeFileSync(join(dir, 'pids.max'), String(limits.pids));
      if (controller === 'cpu') {
        writeFileSync(join(dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
        writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * CPU_PERIOD_US)));
      }
    }
  }

  leaf(group: string[], name: string): string[] {
    return this.dirs([...group, name]).map((dir) => {
      mkdirSync(dir, { recursive: true });
      return join(dir, 'cgroup.procs');
    });
  }

  pids(group: string[]): number[] {
    const dir = join(this.hierarchies.get('pids')!, ...group);
    return [
      ...readPids(join(dir, 'cgroup.procs')),
      ...subdirs(dir).flatMap((l) => readPids(join(dir, l, 'cgroup.procs'))),
    ];
  }

  pressure(group: string[]): ResourcePressure {
    return {
      oomKills: counterOverTree(
        join(this.hierarchies.get('memory')!, ...group),
        'memory.oom_control',
        'oom_kill',
      ),
      pidsDenied: counterOverTree(join(this.hierarchies.get('pids')!, ...group), 'pids.events', 'max'),
    };
  }

  children(group: string[]): string[] {
    return subdirs(join(this.hierarchies.get('pids')!, ...group));
  }

  remove(group: string[]): Promise<void> {
    return killAndRemove(this.dirs(group));
  }

  removeIfEmpty(group: string[]): void {
    for (const dir of this.dirs(group)) rmdirQuietly(dir);
  }
}

class CgroupsV2 implements Cgroups {
  readonly version = 2;
  constructor(
    private readonly root: string,
    private readonly cpu: boolean,
  ) {}

  create(group: string[], limits: WorkspaceLimits): void {
    const enable = this.cpu ? '+memory +pids +cpu' : '+memory +pids';
    // Controllers reach a cgroup only when every ancestor enables them for its children.
    for (let i = 0; i < group.length; i++) {
      const dir = join(this.root, ...group.slice(0, i));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cgroup.subtree_control'), enable);
    }
    const dir = join(this.root, ...group);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup.subtree_control'), enable);
    writeFileSync(join(dir, 'memory.max'), String(limits.memoryMb * 2 ** 20));
    // Without swap limit the memory limit would only push the workspace into swap.
    if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
    writeFileSync(join(dir, 'pids.max'), String(limits.pids));
    if (this.cpu)
      writeFileSync(join(dir, 'cpu.max'), `${Math.round(limits.cpus * CPU_PERIOD_US)} ${CPU_PERIOD_US}`);
  }

  leaf(group: string[], name: string): string[] {
    const dir = join(this.root, ...group, name);
    mkdirSync(dir, { recursive: true });
    return [join(dir, 'cgroup.procs')];
  }

  pids(group: string[]): number[] {
    const dir = join(this.root, ...group);
    return [
      ...readPids(join(dir, 'cgroup.procs')),
      ...subdirs(dir).flatMap((l) => readPids(join(dir, l, 'cgroup.procs'))),
    ];
  }

  pressure(group: string[]): ResourcePressure {
    const dir = join(this.root, ...group);
    return {
      oomKills: counterOverTree(dir, 'memory.events', 'oom_kill'),
      pidsDenied: counterOverTree(dir, 'pids.events', 'max'),
    };
  }

  children(group: string[]): string[] {
    return subdirs(join(this.root, ...group));
  }

  async remove(group: string[]): Promise<void> {
    const dir = join(this.root, ...group);
    // cgroup.kill (Linux 5.14+) ends the whole subtree at once; older kernels fall back to signalling pids.
    try {
      if (existsSync(join(dir, 'cgroup.kill'))) writeFileSync(join(dir, 'cgroup.kill'), '1');
    } catch {}
    await killAndRemove([dir]);
  }

  removeIfEmpty(group: string[]): void {
    rmdirQuietly(join(this.root, ...group));
  }
}
