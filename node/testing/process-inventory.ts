// What this test process holds open, read from /proc: its listening sockets and its live descendant processes.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Inodes of sockets in a listening (TCP, unix) or bound (UDP) state, from one /proc/net table. */
function listeningInodes(
  table: string,
  listening: (fields: string[]) => boolean,
  inodeAt: number,
): Set<string> {
  const inodes = new Set<string>();
  let text: string;
  try {
    text = readFileSync(`/proc/net/${table}`, 'utf8');
  } catch {
    return inodes;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > inodeAt && listening(f)) inodes.add(f[inodeAt]!);
  }
  return inodes;
}

/**
 * The sockets this process listens on (TCP in LISTEN, UDP bound, unix sockets accepting connections), each as
 * `table:inode`: what a node that stopped must no longer hold.
 */
export function openListeners(): string[] {
  const tables: [string, Set<string>][] = [
    ['tcp', listeningInodes('tcp', (f) => f[3] === '0A', 9)],
    ['tcp6', listeningInodes('tcp6', (f) => f[3] === '0A', 9)],
    ['udp', listeningInodes('udp', () => true, 9)],
    ['udp6', listeningInodes('udp6', () => true, 9)],
    // Flags 00010000 is __SO_ACCEPTCON: a unix socket that listens.
    ['unix', listeningInodes('unix', (f) => (Number.parseInt(f[3] ?? '0', 16) & 0x10000) !== 0, 6)],
  ];
  const held: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (!inode) continue;
    for (const [name, inodes] of tables) if (inodes.has(inode)) held.push(`${name}:${inode}`);
  }
  return held.sort();
}

/** Pids of this process's live (non-zombie) descendants, at any depth. */
export function liveDescendants(root = process.pid): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after the command (which may hold spaces and parentheses): state, ppid, …
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state !== 'Z') parents.set(Number(name), Number(ppid));
    } catch {
      // Gone while reading: not a descendant any more.
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parents) {
      if (parent === pid) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return found.sort((a, b) => a - b);
}
