// Raw HTTP/1.1 on one connection, for tests that need bytes fetch() would not send (odd heads, pipelining).

/**
 * Sends each of `requests` on one connection to `url`'s host, the next once every answer before it is complete
 * (Content-Length framing), and resolves with everything received once `done(received)` holds — by default once
 * every request is answered — or the peer closes.
 */
export function rawSession(
  url: string,
  requests: string[],
  done: (received: string) => boolean = (r) => answered(r) >= requests.length,
): Promise<string> {
  const { hostname, port } = new URL(url);
  let received = '';
  let sent = 0;
  return new Promise<string>((resolve, reject) => {
    Bun.connect({
      hostname,
      port: Number(port),
      socket: {
        open(s) {
          s.write(requests[sent++]!);
        },
        data(s, chunk) {
          received += chunk.toString('latin1');
          if (done(received)) {
            s.end();
            resolve(received);
            return;
          }
          if (sent < requests.length && answered(received) === sent) s.write(requests[sent++]!);
        },
        close() {
          resolve(received);
        },
        error(_s, e) {
          reject(e);
        },
      },
    }).catch(reject);
  });
}

/** How many complete responses (Content-Length framing) `received` holds. */
function answered(received: string): number {
  let at = 0;
  let n = 0;
  for (;;) {
    const end = received.indexOf('\r\n\r\n', at);
    if (end < 0) return n;
    const len = Number(/content-length: *(\d+)/i.exec(received.slice(at, end))?.[1] ?? 0);
    if (received.length < end + 4 + len) return n;
    at = end + 4 + len;
    n++;
  }
}
