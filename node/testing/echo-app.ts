// A workspace app for tests: echoes each request as JSON, logs every request it sees, echoes WebSocket messages.
// `/set-cookie` (plain or WebSocket) tries to plant Warren's cookies next to one of its own.
// Run as an app command (`bun node/testing/echo-app.ts`); listens on $PORT, logs to ./requests.log.
import { appendFileSync } from 'node:fs';

const port = Number(process.env.PORT);
const logFile = `${process.cwd()}/requests.log`;

Bun.serve<{ path: string; headers: Record<string, string> }>({
  hostname: '127.0.0.1',
  port,
  async fetch(req, server) {
    const url = new URL(req.url);
    appendFileSync(logFile, `${req.method} ${url.pathname}${url.search}\n`);
    const headers = Object.fromEntries(req.headers);
    if (url.pathname === '/no-upgrade') return Response.json({ refused: true }, { status: 404 });
    const planted = new Headers();
    if (url.pathname === '/set-cookie') {
      for (const c of [
        'warren_token=planted; Path=/',
        'warren_session=planted; Path=/',
        'theme=dark; Path=/',
      ])
        planted.append('set-cookie', c);
    }
    if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      const proto = req.headers.get('sec-websocket-protocol')?.split(',')[0]?.trim();
      if (proto) planted.set('sec-websocket-protocol', proto);
      const ok = server.upgrade(req, {
        data: { path: url.pathname + url.search, headers },
        headers: planted,
      });
      return ok ? undefined : new Response('upgrade failed', { status: 400 });
    }
    if (url.pathname === '/stream') {
      // Three chunks with pauses: a proxy that buffers shows the first chunk late.
      const stream = new ReadableStream({
        async start(c) {
          for (let i = 0; i < 3; i++) {
            c.enqueue(new TextEncoder().encode(`chunk${i}\n`));
            await Bun.sleep(150);
          }
          c.close();
        },
      });
      return new Response(stream, { headers: { 'content-type': 'text/plain' } });
    }
    if (url.pathname === '/set-cookie') return Response.json({ planted: true }, { headers: planted });
    if (url.pathname === '/crash') process.exit(3);
    if (url.pathname === '/big') {
      // A large body with a recognisable pattern, to check nothing is lost or reordered under backpressure.
      const n = Number(url.searchParams.get('n') ?? 1_000_000);
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = i % 251;
      return new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } });
    }
    if (url.pathname === '/gzip') {
      return new Response(Bun.gzipSync(`compressed ${req.method}`), {
        headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' },
      });
    }
    if (url.pathname === '/spawn-child') {
      // A grandchild in the same process group: stop must end it too.
      const child = Bun.spawn(['sleep', '600'], { stdio: ['ignore', 'ignore', 'ignore'] });
      return Response.json({ pid: child.pid });
    }
    const body = req.body ? await req.text() : '';
    return Response.json({
      method: req.method,
      path: url.pathname,
      search: url.search,
      headers,
      body,
      env: { WORKSPACE: process.env.WARREN_WORKSPACE_ID, GREETING: process.env.GREETING ?? null },
      cwd: process.cwd(),
    });
  },
  websocket: {
    open(ws) {
      ws.send(JSON.stringify({ hello: ws.data.path, headers: ws.data.headers }));
    },
    message(ws, msg) {
      ws.send(msg);
    },
  },
});
