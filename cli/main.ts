#!/usr/bin/env bun
// The `warren` command: dispatches `warren <verb> …` to cli/<verb>.ts.

/** A verb: gets the arguments after its name, returns the exit code. */
export type Verb = (args: string[]) => Promise<number>;

/** One file per verb; add `up`, `node`, `ws` … here. Each module's default export is a Verb. */
const VERBS: Record<string, { load: () => Promise<{ default: Verb }>; help: string }> = {
  up: {
    load: () => import('./up.ts'),
    help: 'control plane + N local nodes until Ctrl-C  [--port 7400] [--data .warren] [--nodes 1]',
  },
  control: {
    load: () => import('./control.ts'),
    help: 'run the control plane  [--port 7400] [--data .warren] [--db-url URL]',
  },
  keys: { load: () => import('./keys.ts'), help: 'keys rotate: publish a new signing key now' },
  'join-token': {
    load: () => import('./join-token.ts'),
    help: 'join-token create: a one-use token for a node to join',
  },
  mesh: {
    load: () => import('./mesh.ts'),
    help: "mesh status: a node's view of members, registry and gossip counters  [--node URL] [--data DIR] [--json]",
  },
  node: {
    load: () => import('./node.ts'),
    help: 'node join: run this machine as a node  --control URL --join-token T [--laptop]; node create|delete: machines by the provider',
  },
};

function usage(): string {
  const lines = Object.entries(VERBS).map(([name, v]) => `  warren ${name.padEnd(11)} ${v.help}`);
  return `usage: warren <command> [options]\n\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(usage());
    return verb ? 0 : 2;
  }
  const entry = VERBS[verb];
  if (!entry) {
    process.stderr.write(`warren: unknown command "${verb}"\n\n${usage()}`);
    return 2;
  }
  return (await entry.load()).default(rest);
}

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
