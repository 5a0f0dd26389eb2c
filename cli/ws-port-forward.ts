// `warren ws port-forward`: a local TCP listener (or stdin/stdout) tunnelled to a port of a workspace.
import { createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { WORKSPACE_TOKEN_TTL } from '../contract/index.ts';
import type { ControlClient } from '../openapi/client/index.ts';
import { CliError, CONNECTION_OPTIONS, connect } from './connection.ts';
import { findWorkspace, type NodeAccess, nodeSocketUrl, workspaceAccess } from './workspace-ref.ts';

/**
 * The tunnel's frames: binary frames carry bytes; the text frame `eof` says the sender will write no more
 * (a TCP half-close), so a request sent in full still gets its whole answer back.
 */
export const EOF_FRAME = 'eof';

/** Past this much unsent data to the node, the local side stops reading until it drains. */
const HIGH_WATER = 4 * 1024 * 1024;

/** Runs `warren ws port-forward …`; with a listener it runs until Ctrl-C. */
export async function portForward(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CONNECTION_OPTIONS, stdio: { type: 'string' }, bind: { type: 'string' } },
    allowPositionals: true,
  });
  const spec = values.stdio ?? positionals[1];
  if (!spec)
    throw new CliError(
      'warren ws port-forward: say which ports: warren ws port-forward WS LOCAL:REMOTE (or --stdio REMOTE)',
      2,
    );
  const [local, remote] = parsePorts(values.stdio !== undefined ? `0:${spec}` : spec);
  const client = connect(values);
  const w = await findWorkspace(client, 'ws port-forward', positionals[0]);
  const tokens = new TokenSource(client, w, remote);
  const first = await tokens.get();
  const url = nodeSocketUrl(first, w.id, `/_port/${remote}`);
  if (values.stdio !== undefined) return stdioTunnel(url, first.token);
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    void tokens.get().then(
      (a) => tunnel(socket, url, a.token),
      (e) => {
        process.stderr.write(`warren ws port-forward: ${(e as Error).message}\n`);
        socket.destroy();
      },
    );
  });
  const host = values.bind ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(new CliError(`warren ws port-forward: cannot listen on ${host}:${local}: ${e.message}`)),
    );
    server.listen(local, host, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  // One line scripts can read for the port (LOCAL may be 0: any free port).
  process.stdout.write(`forwarding ${host}:${bound} -> ${w.name}:${remote}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  server.close();
  return 0;
}

/** `LOCAL:REMOTE` or `PORT` (the same on both sides); LOCAL may be 0. */
export function parsePorts(spec: string): [number, number] {
  const parts = spec.split(':');
  const nums = parts.map((p) => (/^\d{1,5}$/.test(p) ? Number(p) : Number.NaN));
  const [local, remote] = nums.length === 1 ? [nums[0]!, nums[0]!] : nums;
  if (nums.length > 2 || !(local! >= 0 && local! <= 65535) || !(remote! >= 1 && remote! <= 65535))
    throw new CliError(`warren ws port-forward: "${spec}" is not LOCAL:REMOTE (ports, e.g. 8080:3000)`, 2);
  return [local!, remote!];
}

/** A token for the port, minted again once half its life has passed (a tunnel ends when its token does). */
class TokenSource {
  private current: { access: NodeAccess; renewAt: number } | undefined;
  constructor(
    private readonly client: ControlClient,
    private readonly workspace: Parameters<typeof workspaceAccess>[2],
    private readonly port: number,
  ) {}
  async get(): Promise<NodeAccess> {
    if (this.current && Date.now() < this.current.renewAt) return this.current.access;
    const access = await workspaceAccess(
      this.client,
      'ws port-forward',
      this.workspace,
      ['ports'],
      [this.port],
    );
    this.current = { access, renewAt: Date.now() + (WORKSPACE_TOKEN_TTL.max * 1000) / 2 };
    return access;
  }
}

/** Opens the node's port socket; bytes from `read` go there, bytes back go to `write`. */
function open(
  url: string,
  token: string,
  sink: { write(b: Uint8Array): void; end(): void; close(error?: string): void },
): WebSocket {
  const sock = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } } as unknown as string[]);
  sock.binaryType = 'arraybuffer';
  let opened = false;
  sock.onopen = () => {
    opened = true;
  };
  sock.onmessage = (e) => {
    if (typeof e.data === 'string') {
      if (e.data === EOF_FRAME) sink.end();
    } else sink.write(new Uint8Array(e.data as ArrayBuffer));
  };
  sock.onclose = (e) => {
    if (!opened)
      return sink.close('the node refused the tunnel (is the workspace running, and the port allowed?)');
    sink.close(e.code === 1000 || e.code === 1005 ? undefined : e.reason || `code ${e.code}`);
  };
  return sock;
}

/** Pumps one local connection through its own WebSocket. */
function tunnel(socket: Socket, url: string, token: string): void {
  socket.setNoDelay(true);
  const queued: Uint8Array[] = [];
  let localEnded = false;
  const sock = open(url, token, {
    write: (b) => socket.write(b),
    end: () => socket.end(),
    close: (error) => {
      if (error) process.stderr.write(`warren ws port-forward: ${error}\n`);
      if (error) socket.destroy();
      else socket.end();
    },
  });
  const send = (b: Uint8Array) => {
    sock.send(b as Uint8Array<ArrayBuffer>);
    if (sock.bufferedAmount > HIGH_WATER) {
      socket.pause();
      const wait = setInterval(() => {
        if (sock.readyState !== WebSocket.OPEN || sock.bufferedAmount < HIGH_WATER / 2) {
          clearInterval(wait);
          socket.resume();
        }
      }, 5);
    }
  };
  sock.addEventListener('open', () => {
    for (const b of queued) send(b);
    queued.length = 0;
    if (localEnded) sock.send(EOF_FRAME);
  });
  socket.on('data', (b: Buffer) => {
    if (sock.readyState === WebSocket.OPEN) send(b);
    else queued.push(b);
  });
  socket.on('end', () => {
    localEnded = true;
    if (sock.readyState === WebSocket.OPEN) sock.send(EOF_FRAME);
  });
  socket.on('close', () => {
    if (sock.readyState <= WebSocket.OPEN) sock.close(1000);
  });
  socket.on('error', () => socket.destroy());
}

/** The tunnel on stdin/stdout (an ssh ProxyCommand); resolves when the remote side closes. */
function stdioTunnel(url: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const sock = open(url, token, {
      write: (b) => process.stdout.write(b),
      end: () => {},
      close: (error) => {
        process.stdin.pause();
        if (error) process.stderr.write(`warren ws port-forward: ${error}\n`);
        resolve(error ? 1 : 0);
      },
    });
    sock.addEventListener('open', () => {
      process.stdin.on('data', (b: Buffer) => sock.send(b as Uint8Array<ArrayBuffer>));
      process.stdin.on('end', () => sock.send(EOF_FRAME));
      process.stdin.resume();
    });
  });
}
