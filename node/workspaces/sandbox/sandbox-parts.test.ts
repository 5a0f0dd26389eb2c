// The sandbox's pure parts: addresses of a slot, the rules of a workspace, bwrap's mount view, the cgroup v2 files.
import { afterEach, describe, expect, it } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroups } from './cgroups.ts';
import { bwrapArgs, HOME_INSIDE, RUN_INSIDE } from './mount-view.ts';
import { parseSubnet, slotNetwork, workspaceRules } from './network.ts';

describe('Slot networks', () => {
  it('gives each slot its own /30: gateway .1, workspace .2', () => {
    expect(slotNetwork('10.213.0.0/16', 0)).toEqual({
      netns: 'wrn0',
      hostVeth: 'wrn0h',
      gateway: '10.213.0.1',
      address: '10.213.0.2',
    });
    expect(slotNetwork('10.213.0.0/16', 64).address).toBe('10.213.1.2');
    expect(parseSubnet('10.213.7.9/16')).toEqual({ base: (10 * 256 + 213) * 65536, blocks: 16_384 });
  });

  it('refuses a subnet it cannot split and a slot outside it', () => {
    for (const bad of ['10.213.0.0', '10.213.0.0/31', '300.1.1.1/16', 'fd00::/64'])
      expect(() => parseSubnet(bad)).toThrow();
    expect(() => slotNetwork('10.213.0.0/30', 1)).toThrow();
  });

  it('lets a workspace reach only replies on the host and never another workspace or a denied range', () => {
    const rules = workspaceRules(slotNetwork('10.213.0.0/16', 3), '10.213.0.0/16', ['169.254.0.0/16']);
    expect(rules.filter).toContain('WARREN-INPUT -i wrn3h -j DROP');
    expect(rules.filter).toContain('WARREN-FORWARD -i wrn3h -d 10.213.0.0/16 -j DROP');
    expect(rules.filter).toContain('WARREN-FORWARD -i wrn3h -d 169.254.0.0/16 -j DROP');
    expect(rules.filter).toContain('WARREN-FORWARD -o wrn3h -j DROP');
    // The drops come before the accept that lets the rest out.
    const accept = rules.filter.indexOf('WARREN-FORWARD -i wrn3h -j ACCEPT');
    expect(accept).toBeGreaterThan(rules.filter.indexOf('WARREN-FORWARD -i wrn3h -d 169.254.0.0/16 -j DROP'));
    expect(rules.nat).toEqual(['WARREN-POSTROUTING -s 10.213.0.14/32 ! -o wrn3h -j MASQUERADE']);
  });
});

describe('The mount view', () => {
  const view = {
    readOnly: ['/opt/warren'],
    hidden: ['/opt/warren/.warren', '/srv/elsewhere'],
    home: '/stage/home',
    run: '/stage/sb/run',
    passwd: '/stage/sb/passwd',
    group: '/stage/sb/group',
    hostname: 'ws-x',
    newSession: true,
  };

  it('binds its home and sockets, hides data dirs inside bound folders, and ends read-only', () => {
    const a = bwrapArgs(view).join(' ');
    expect(a).toContain(`--bind /stage/home ${HOME_INSIDE}`);
    expect(a).toContain(`--bind /stage/sb/run ${RUN_INSIDE}`);
    expect(a).toContain('--ro-bind /opt/warren /opt/warren');
    expect(a).toContain('--tmpfs /opt/warren/.warren');
    // A path outside every bound folder is not in view to begin with: no mount for it.
    expect(a).not.toContain('/srv/elsewhere');
    expect(a).toContain('--disable-userns');
    expect(a).toContain('--new-session');
    expect(a.endsWith('--remount-ro /')).toBe(true);
    // The private /tmp comes before any bind, so a bound folder under /tmp stays visible.
    expect(a.indexOf('--tmpfs /tmp')).toBeLessThan(a.indexOf('--ro-bind /opt/warren'));
  });

  it('leaves terminals in the session of their PTY', () => {
    expect(bwrapArgs({ ...view, newSession: false })).not.toContain('--new-session');
  });
});

describe('Cgroups v2', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('enables the controllers down the tree, writes the limits, and sums counters over the launches', () => {
    root = mkdtempSync(join(tmpdir(), 'cgroup2-'));
    writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    const cg = detectCgroups(root)!;
    expect(cg.version).toBe(2);
    cg.create(['warren', 'n1', 'ws1'], { memoryMb: 256, pids: 64, cpus: 1.5 });
    const dir = join(root, 'warren', 'n1', 'ws1');
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +pids +cpu');
    expect(readFileSync(join(root, 'warren', 'n1', 'cgroup.subtree_control'), 'utf8')).toBe(
      '+memory +pids +cpu',
    );
    expect(readFileSync(join(dir, 'memory.max'), 'utf8')).toBe(String(256 * 2 ** 20));
    expect(readFileSync(join(dir, 'pids.max'), 'utf8')).toBe('64');
    expect(readFileSync(join(dir, 'cpu.max'), 'utf8')).toBe('150000 100000');
    expect(cg.leaf(['warren', 'n1', 'ws1'], 'app-1')).toEqual([join(dir, 'app-1', 'cgroup.procs')]);
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    writeFileSync(join(dir, 'app-1', 'pids.events'), 'max 2\n');
    expect(cg.pressure(['warren', 'n1', 'ws1'])).toEqual({ oomKills: 1, pidsDenied: 2 });
  });

  it('is not used when the unified tree offers no memory and pids controllers', () => {
    root = mkdtempSync(join(tmpdir(), 'cgroup2-'));
    writeFileSync(join(root, 'cgroup.controllers'), 'cpu io\n');
    mkdirSync(join(root, 'unified'));
    expect(detectCgroups(root)).toBeUndefined();
  });
});
