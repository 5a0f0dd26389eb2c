// Writing to Bun sockets without losing bytes: what the kernel does not take now waits in a queue until `drain`.
import type { Socket } from 'bun';

/** Writes `bytes`, or queues them behind earlier ones; false when something is left waiting (pause the source). */
export function writeTo<T>(s: Socket<T>, out: Buffer[], bytes: Buffer): boolean {
  if (out.length > 0) {
    out.push(bytes);
    return false;
  }
  const n = s.write(bytes);
  if (n < bytes.length) {
    out.push(bytes.subarray(Math.max(0, n)));
    return false;
  }
  return true;
}

/** Writes what waits in `out` (call from `drain`); true once nothing is left. */
export function flush<T>(s: Socket<T>, out: Buffer[]): boolean {
  while (out.length > 0) {
    const b = out[0]!;
    const n = s.write(b);
    if (n < b.length) {
      out[0] = b.subarray(Math.max(0, n));
      return false;
    }
    out.shift();
  }
  return true;
}
