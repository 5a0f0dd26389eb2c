// The tiny upstream of `bun run bench proxy`: a fixed small HTTP answer and a WebSocket echo, on $PORT.
const body = 'hello from the workspace\n';

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch(req, server) {
    if (req.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      return server.upgrade(req) ? undefined : new Response('upgrade failed', { status: 400 });
    }
    return new Response(body, { headers: { 'content-type': 'text/plain' } });
  },
  websocket: {
    message(ws, msg) {
      ws.send(msg);
    },
  },
});
