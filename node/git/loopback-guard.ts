// Who may talk to the loopback-only git credential endpoint: loopback peers, no browser, the right Host.

/** Whether `address` (as Bun's `server.requestIP` gives it) is a loopback address. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  if (a === '::1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  const parts = v4.split('.');
  return (
    parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
  );
}

/**
 * Refuses what a browser or a rebinding page could send: any `Origin` or `Referer` header, or a Host other
 * than a loopback name with this server's port. Returns the reason, or null when the request may proceed.
 */
export function browserRefusal(headers: Headers, port: number): string | null {
  if (headers.has('origin') || headers.has('referer'))
    return 'requests carrying Origin or Referer are refused';
  const host = (headers.get('host') ?? '').toLowerCase();
  const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (!allowed.includes(host)) return 'Host must be a loopback name with the endpoint port';
  return null;
}
