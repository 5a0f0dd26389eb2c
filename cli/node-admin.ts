// `warren node rename|drain|undrain`: an admin names a node, or stops and resumes new placements on it.
import { parseArgs } from 'node:util';
import { CONNECTION_OPTIONS, connect, reportError } from './connection.ts';

export const NODE_ADMIN_USAGE = `usage: warren node rename NODE_ID NAME [--url URL] [--token T] [--data DIR]
       warren node drain NODE_ID      no new workspaces or tasks go there; its own keep running
       warren node undrain NODE_ID`;

/** `warren node rename|drain|undrain …`; resolves with the exit code. */
export async function nodeAdmin(verb: 'rename' | 'drain' | 'undrain', args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: CONNECTION_OPTIONS, allowPositionals: true });
  const [id, name] = positionals;
  if (!id || (verb === 'rename') !== (name !== undefined) || positionals.length > 2) {
    process.stderr.write(`${NODE_ADMIN_USAGE}\n`);
    return 2;
  }
  try {
    const r = await connect(values).PATCH('/api/v1/nodes/{id}', {
      params: { path: { id } },
      body: verb === 'rename' ? { name } : { drained: verb === 'drain' },
    });
    if (!r.data) return reportError(`node ${verb}`, r.error, r.response.status);
    const n = r.data;
    process.stdout.write(`node ${n.id} ${n.name}${n.drainedAt ? ` drained since ${n.drainedAt}` : ''}\n`);
    return 0;
  } catch (e) {
    return reportError(`node ${verb}`, (e as Error).message);
  }
}
