// `warren ws ssh WS [-- COMMAND…]`: a terminal in the workspace over its node's terminal WebSocket.
import { parseArgs } from 'node:util';
import { SOCKET_CLOSE_TOKEN_ENDED } from '../contract/index.ts';
import { CONNECTION_OPTIONS, connect } from './connection.ts';
import { findWorkspace, nodeSocketUrl, workspaceAccess } from './workspace-ref.ts';

/** What the node puts in the close reason when the shell ends: `shell exited <status>`. */
const EXITED = /^shell exited (\d{1,3})$/;

/** Exit code when the terminal ended for another reason than the shell exiting (as ssh does). */
const TRANSPORT_FAILED = 255;

/** Runs `warren ws ssh …`; resolves with the remote exit status (255 when the connection failed). */
export async function ssh(args: string[]): Promise<number> {
  const end = args.indexOf('--');
  const own = end < 0 ? args : args.slice(0, end);
  const command = end < 0 ? [] : args.slice(end + 1);
  const { values, positionals } = parseArgs({
    args: own,
    options: CONNECTION_OPTIONS,
    allowPositionals: true,
  });
  // `warren ws ssh WS cmd` without `--` runs cmd as ssh does.
  const words = [...positionals.slice(1), ...command];
  const client = connect(values);
  const w = await findWorkspace(client, 'ws ssh', positionals[0]);
  const access = await workspaceAccess(client, 'ws ssh', w, ['terminal']);
  return attach(nodeSocketUrl(access, w.id, '/_terminal', terminalSearch(words)), access.token);
}

/**
 * The terminal's query: this window's size (`cols`, `rows`), so the shell starts at it, and with words a one-off
 * `command` (like ssh, the words joined with spaces for the remote shell to read). A one-off session ends with
 * this connection; an interactive one is a new session each time.
 */
export function terminalSearch(words: string[]): string {
  const q = new URLSearchParams();
  const { columns, rows } = process.stdout;
  if (columns && rows) {
    q.set('cols', String(Math.min(columns, 1000)));
    q.set('rows', String(Math.min(rows, 1000)));
  }
  if (words.length) q.set('command', words.join(' '));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Connects this process's terminal (or pipes) to the remote PTY until the remote side ends. The node's first
 * message is the text frame `{"type":"session","id",…}`; binary frames are the PTY's output; the close reason
 * `shell exited <status>` carries the remote exit status.
 */
export function attach(url: string, token: string): Promise<number> {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  // Bun's WebSocket takes headers, which keeps the token out of URLs and logs.
  const sock = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } } as unknown as string[]);
  sock.binaryType = 'arraybuffer';
  const sendSize = () => {
    const { columns, rows } = process.stdout;
    if (columns && rows && sock.readyState === WebSocket.OPEN)
      sock.send(JSON.stringify({ type: 'resize', cols: columns, rows }));
  };
  const onInput = (chunk: Buffer) => {
    if (sock.readyState === WebSocket.OPEN) sock.send(chunk as Uint8Array<ArrayBuffer>);
  };
  // Piped input that ends is ^D on the PTY, so a shell reading it sees end of input.
  const onEnd = () => onInput(Buffer.from([4]));
  return new Promise((resolve) => {
    // True once the node attached this socket to a session (its `session` message): input goes to a shell.
    let opened = false;
    let raw = false;
    sock.onopen = () => {
      raw = tty;
      if (tty) stdin.setRawMode(true);
      sendSize();
      process.stdout.on('resize', sendSize);
      stdin.on('data', onInput);
      stdin.on('end', onEnd);
      stdin.resume();
    };
    sock.onmessage = (e) => {
      if (typeof e.data !== 'string') return void process.stdout.write(new Uint8Array(e.data as ArrayBuffer));
      try {
        if ((JSON.parse(e.data) as { type?: unknown }).type === 'session') opened = true;
      } catch {}
    };
    sock.onclose = (e) => {
      if (raw) stdin.setRawMode(false);
      process.stdout.off('resize', sendSize);
      stdin.off('data', onInput);
      stdin.off('end', onEnd);
      stdin.pause();
      const exited = EXITED.exec(e.reason);
      if (exited) return resolve(Number(exited[1]));
      const why = !opened
        ? `the node refused the terminal: ${e.reason || 'is the workspace running? (warren ws list)'}`
        : e.code === SOCKET_CLOSE_TOKEN_ENDED
          ? `the terminal ended: ${e.reason} (workspace tokens last an hour; run warren ws ssh again)`
          : `the terminal ended: ${e.reason || `code ${e.code}`}`;
      process.stderr.write(`warren ws ssh: ${why}\n`);
      resolve(e.code === 1000 && opened ? 0 : TRANSPORT_FAILED);
    };
  });
}
