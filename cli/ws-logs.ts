// `warren ws logs WS [--tail N] [-f]`: the workspace's app and agent output, from its node's `/_logs`.
import { parseArgs } from 'node:util';
import { LOG_TAIL_MAX, type LogLine, SOCKET_CLOSE_TOKEN_ENDED } from '../contract/index.ts';
import { CliError, CONNECTION_OPTIONS, connect } from './connection.ts';
import { findWorkspace, nodeSocketUrl, workspaceAccess } from './workspace-ref.ts';

/** One line as printed: who wrote it (`app`, `agent`; `!` after it for stderr), then the text. */
export function formatLogLine(l: LogLine): string {
  return `${l.source}${l.stream === 'stderr' ? '!' : ' '} | ${l.text}`;
}

/** Runs `warren ws logs …`; resolves with the exit code. */
export async function logs(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      tail: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const tail = values.tail ?? '200';
  if (!/^\d+$/.test(tail) || Number(tail) > LOG_TAIL_MAX)
    throw new CliError(`warren ws logs: --tail is a whole number from 0 to ${LOG_TAIL_MAX}`, 2);
  const client = connect(values);
  const w = await findWorkspace(client, 'ws logs', positionals[0]);
  const access = await workspaceAccess(client, 'ws logs', w, ['logs']);
  const print = (l: LogLine) =>
    process.stdout.write(`${values.json ? JSON.stringify(l) : formatLogLine(l)}\n`);
  if (!values.follow) {
    const res = await fetch(`${access.nodeUrl}/w/${w.id}/_logs?tail=${tail}`, {
      headers: { authorization: `Bearer ${access.token}` },
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
      throw new CliError(
        `warren ws logs: the node answered ${res.status}: ${body?.error?.message ?? res.statusText}`,
      );
    }
    for (const l of ((await res.json()) as { lines: LogLine[] }).lines) print(l);
    return 0;
  }
  return follow(nodeSocketUrl(access, w.id, '/_logs', `?tail=${tail}`), access.token, print);
}

/** The last lines, then each new one as the node keeps it (one JSON LogLine per text frame), until it closes. */
function follow(url: string, token: string, print: (l: LogLine) => void): Promise<number> {
  // Bun's WebSocket takes headers, which keeps the token out of URLs and logs.
  const sock = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } } as unknown as string[]);
  return new Promise((resolve) => {
    let opened = false;
    sock.onopen = () => {
      opened = true;
      // On stderr, so piped lines stay pure; a person (and a script) knows that what comes next is live.
      process.stderr.write('warren ws logs: following; Ctrl-C to stop\n');
    };
    sock.onmessage = (e) => {
      if (typeof e.data === 'string') print(JSON.parse(e.data) as LogLine);
    };
    sock.onclose = (e) => {
      if (opened && (e.code === 1000 || e.code === 1001)) return resolve(0);
      const why = !opened
        ? 'the node refused the logs (is the workspace placed? warren ws list)'
        : e.code === SOCKET_CLOSE_TOKEN_ENDED
          ? `the logs ended: ${e.reason} (workspace tokens last an hour; run warren ws logs -f again)`
          : `the logs ended: ${e.reason || `code ${e.code}`}`;
      process.stderr.write(`warren ws logs: ${why}\n`);
      resolve(1);
    };
  });
}
