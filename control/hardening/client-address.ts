// The address a request came from, as the key of its rate-limit buckets: the socket peer, unless proxies are trusted.
import { isIPv4, isIPv6 } from 'node:net';

// The server notes each request's peer before the app sees it; Elysia's `server` is null under our own Bun.serve.
const peers = new WeakMap<Request, string>();

/** Records the socket peer of `request` (control/server.ts, from Bun's `requestIP`). */
export function notePeerAddress(request: Request, address: string | undefined): void {
  if (address) peers.set(request, address);
}

/** The peer noted for `from`, now also for `to` (a request rebuilt around a body already read). */
export function carryPeerAddress(from: Request, to: Request): void {
  const address = peers.get(from);
  if (address) peers.set(to, address);
}

/**
 * The client's address: with `proxyHops` = 0 the socket peer (X-Forwarded-For is anyone's to write); with N
 * trusted proxies the address the outermost of them saw, N entries from the right of X-Forwarded-For (each
 * proxy appends its peer). In-process requests (`app.handle`) have no peer: `unknown`.
 */
export function clientAddress(request: Request, proxyHops: number): string {
  const peer = peers.get(request) ?? 'unknown';
  if (proxyHops <= 0) return peer;
  const forwarded = (request.headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Nearest first: the peer, then what each proxy appended, right to left; a shorter chain ends at its start.
  const chain = [peer, ...forwarded.reverse()];
  return chain[Math.min(proxyHops, chain.length - 1)] ?? peer;
}

/**
 * The bucket key of an address: IPv4 as is (also when mapped into IPv6), IPv6 by its /64, since one host or
 * customer usually holds a whole /64 and would otherwise get 2^64 buckets.
 */
export function addressKey(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(bare) || !isIPv6(bare)) return bare;
  const [head = '', tail] = bare.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
