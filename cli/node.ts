// `warren node …`: the node verbs.

import { NODE_ADMIN_USAGE, nodeAdmin } from './node-admin.ts';
import { NODE_JOIN_USAGE, nodeJoin } from './node-join.ts';
import { NODE_MACHINES_USAGE, nodeMachines } from './node-machines.ts';

/** Dispatches `warren node <verb> …`; resolves with the exit code. */
export async function nodeCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'join') return nodeJoin(rest);
  if (verb === 'create' || verb === 'delete') return nodeMachines(verb, rest);
  if (verb === 'rename' || verb === 'drain' || verb === 'undrain') return nodeAdmin(verb, rest);
  console.error(
    `warren node: unknown subcommand "${verb ?? ''}"; use join, create, delete, rename, drain or undrain (see warren node --help)`,
  );
  return 2;
}

export const usage = `${NODE_JOIN_USAGE}\n\n${NODE_MACHINES_USAGE}\n\n${NODE_ADMIN_USAGE}`;

export default nodeCommand;
