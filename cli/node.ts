// `warren node …`: the node verbs.
import { NODE_JOIN_USAGE, nodeJoin } from './node-join.ts';

/** Dispatches `warren node <verb> …`; resolves with the exit code. */
export async function nodeCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'join') return nodeJoin(rest);
  console.error(`warren node: unknown verb "${verb ?? ''}"\n\n${NODE_JOIN_USAGE}`);
  return 2;
}

export default nodeCommand;
