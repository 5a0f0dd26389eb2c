// What a sandboxed workspace sees of the filesystem: the system read-only, its home, its sockets, nothing else.
import { lstatSync, readlinkSync } from 'node:fs';

/** Where the workspace sees its home and its socket folder. */
export const HOME_INSIDE = '/home/workspace';
export const RUN_INSIDE = '/run/warren';

/** Top-level system folders bound read-only when present (or recreated as the symlinks they are, merged /usr). */
const SYSTEM_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/opt'];

export interface MountView {
  /** Host folders shown read-only at the same path besides the system ones (Warren's own code). */
  readOnly: string[];
  /** Host paths that must not be visible even when inside a bound folder (data dirs): covered by an empty tmpfs. */
  hidden: string[];
  /** Home folder source, as bwrap resolves it. */
  home: string;
  /** Source of the socket folder. */
  run: string;
  /** passwd and group files naming the workspace's uid (so shells and tools know who they are). */
  passwd: string;
  group: string;
  hostname: string;
  /** setsid() in the sandbox: for processes without a terminal, so none can push input into another's. */
  newSession: boolean;
}

/** bwrap's arguments for `view` (everything before `--` and the command). Pure: paths are checked with lstat only. */
export function bwrapArgs(view: MountView): string[] {
  const a = [
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--die-with-parent',
    // No nested user namespaces: the sandbox cannot build itself a root of its own to attack the kernel with.
    '--disable-userns',
    '--hostname',
    view.hostname,
  ];
  if (view.newSession) a.push('--new-session');
  // Private /tmp first: Warren's code (or a read-only folder) may itself live under /tmp and is bound after.
  a.push('--tmpfs', '/tmp');
  const bound: string[] = [];
  for (const path of SYSTEM_PATHS) {
    const kind = entryKind(path);
    if (kind === 'symlink') a.push('--symlink', readlinkSync(path), path);
    else if (kind === 'dir') {
      a.push('--ro-bind', path, path);
      bound.push(path);
    }
  }
  for (const path of view.readOnly) {
    a.push('--ro-bind', path, path);
    bound.push(path);
  }
  for (const path of view.hidden) {
    if (bound.some((b) => path === b || path.startsWith(`${b}/`))) a.push('--tmpfs', path);
  }
  a.push(
    '--ro-bind',
    view.passwd,
    '/etc/passwd',
    '--ro-bind',
    view.group,
    '/etc/group',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/dev/shm',
    '--dir',
    '/var',
    '--symlink',
    '../tmp',
    '/var/tmp',
    '--bind',
    view.home,
    HOME_INSIDE,
    '--dir',
    '/run',
    '--bind',
    view.run,
    RUN_INSIDE,
    '--chdir',
    HOME_INSIDE,
    '--setenv',
    'HOME',
    HOME_INSIDE,
    // Everything is mounted: the new root itself becomes read-only (writes go to HOME, /tmp and /dev/shm only).
    '--remount-ro',
    '/',
  );
  return a;
}

function entryKind(path: string): 'dir' | 'symlink' | undefined {
  try {
    const s = lstatSync(path);
    return s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'dir' : undefined;
  } catch {
    return undefined;
  }
}

/** passwd and group lines for the workspace user (`workspace`, its uid) and the unmapped root. */
export function identityFiles(uid: number, shell: string): { passwd: string; group: string } {
  return {
    passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\nworkspace:x:${uid}:${uid}:Warren workspace:${HOME_INSIDE}:${shell}\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    group: `root:x:0:\nworkspace:x:${uid}:\nnogroup:x:65534:\n`,
  };
}
