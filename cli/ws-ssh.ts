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
  // Like ssh, the words are joined with spaces and the remote shell reads them.
  const search = words.length ? `?command=${encodeURIComponent(words.join(' '))}` : '';
  return attach(nodeSocketUrl(access, w.id, '/_terminal', search), access.token);
}

/** Connects this process's terminal (or pipes) to the remote PTY until the remote side ends. */
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
    let opened = false;
    sock.onopen = () => {
      opened = true;
      if (tty) stdin.setRawMode(true);
      sendSize();
      process.stdout.on('resize', sendSize);
      stdin.on('data', onInput);
      stdin.on('end', onEnd);
      stdin.resume();
    };
    sock.onmessage = (e) => {
      if (typeof e.data !== 'string') process.stdout.write(new Uint8Array(e.data as ArrayBuffer));
    };
    sock.onclose = (e) => {
      if (tty && opened) stdin.setRawMode(false);
      process.stdout.off('resize', sendSize);
      stdin.off('data', onInput);
      stdin.off('end', onEnd);
      stdin.pause();
      const exited = EXITED.exec(e.reason);
      if (exited) return resolve(Number(exited[1]));
      const why = !opened
        ? 'the node refused the terminal (is the workspace running? warren ws list)'
        : e.code === SOCKET_CLOSE_TOKEN_ENDED
          ? `the terminal ended: ${e.reason} (workspace tokens last an hour; run warren ws ssh again)`
          : `the terminal ended: ${e.reason || `code ${e.code}`}`;
      process.stderr.write(`warren ws ssh: ${why}\n`);
      resolve(e.code === 1000 && opened ? 0 : TRANSPORT_FAILED);
    };
  });
}
