// `warren keys rotate`: publishes a new signing key on the running control plane (it signs after the publish lead).
import { parseArgs } from 'node:util';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, reportError } from './connection.ts';

export const usage = `usage: warren keys rotate [--url URL] [--data DIR] [--token TOKEN]

Publishes a new signing key now (admin); it signs once the publish lead has passed.

${CONNECTION_HELP}`;

export default async function keys(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: CONNECTION_OPTIONS, allowPositionals: true });
  if (positionals[0] !== 'rotate') {
    process.stderr.write('warren keys: the one subcommand is rotate (see warren keys --help)\n');
    return 2;
  }
  try {
    const r = await connect(values).POST('/api/v1/keys/rotate');
    if (!r.data) return reportError('keys rotate', r.error, r.response.status);
    process.stdout.write(`${JSON.stringify(r.data)}\n`);
    return 0;
  } catch (e) {
    return reportError('keys rotate', (e as Error).message);
  }
}
