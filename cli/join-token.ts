// `warren join-token create`: a one-use token (and the command) for a machine to join as a node.
import { parseArgs } from 'node:util';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, reportError } from './connection.ts';

export const usage = `usage: warren join-token create [--ttl SECONDS] [--laptop] [--url URL] [--data DIR] [--token T]

Prints a one-use token (and the command to run) for a machine to join as a node (admin).

${CONNECTION_HELP}`;

export default async function joinToken(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CONNECTION_OPTIONS, ttl: { type: 'string' }, laptop: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals[0] !== 'create') {
    process.stderr.write('warren join-token: the one subcommand is create (see warren join-token --help)\n');
    return 2;
  }
  try {
    const r = await connect(values).POST('/api/v1/join-tokens', {
      body: {
        ...(values.ttl ? { ttlSeconds: Number(values.ttl) } : {}),
        ...(values.laptop ? { laptop: true } : {}),
      },
    });
    if (!r.data) return reportError('join-token create', r.error, r.response.status);
    process.stdout.write(`${JSON.stringify(r.data)}\n`);
    return 0;
  } catch (e) {
    return reportError('join-token create', (e as Error).message);
  }
}
