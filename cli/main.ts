#!/usr/bin/env bun
// The `warren` command: dispatches `warren <verb> …` to cli/<verb>.ts; every failure is one line, never a stack trace.
import { CliError } from './connection.ts';

/** A verb: gets the arguments after its name, returns the exit code. */
export type Verb = (args: string[]) => Promise<number>;

/** A verb's module: the verb as default export and its `--help` text. */
interface VerbModule {
  default: Verb;
  usage: string;
}

/** One file per verb. Each module's default export is a Verb; its `usage` is what `--help` prints. */
const VERBS: Record<string, { load: () => Promise<VerbModule>; help: string }> = {
  login: {
    load: () => import('./login.ts'),
    help: 'login URL: store a control plane and an API token for this user',
  },
  ws: {
    load: () => import('./ws.ts'),
    help: 'workspaces: list | create | edit | start | stop | retry | delete | open | ssh | logs | port-forward',
  },
  task: {
    load: () => import('./task.ts'),
    help: "tasks: permissions | answer (an agent's permission requests waiting for you)",
  },
  admin: {
    load: () => import('./admin.ts'),
    help: 'people: users | invite | login-link | disable | enable | delete (admin)',
  },
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

/** The list of commands `warren --help` prints. */
export function usage(): string {
  const lines = Object.entries(VERBS).map(([name, v]) => `  warren ${name.padEnd(11)} ${v.help}`);
  return `usage: warren <command> [options]\n\n${lines.join('\n')}\n\nwarren <command> --help shows a command's options.\n`;
}

/** True when `--help`/`-h` comes before `--` (what follows `--` belongs to a remote command). */
function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(usage());
    return verb ? 0 : 2;
  }
  const entry = VERBS[verb];
  if (!entry) {
    process.stderr.write(`warren: unknown command "${verb}"; see warren --help\n`);
    return 2;
  }
  try {
    const module = await entry.load();
    if (wantsHelp(rest)) {
      process.stdout.write(`${module.usage}\n`);
      return 0;
    }
    return await module.default(rest);
  } catch (e) {
    return fail(verb, e);
  }
}

/** One line on stderr for whatever a verb threw, and the exit code: 2 for a misuse, 1 otherwise. */
function fail(verb: string, e: unknown): number {
  const message = (e as Error)?.message ?? String(e);
  const line = message.startsWith('warren ') ? message : `warren ${verb}: ${message}`;
  const code = (e as { code?: string })?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${line} (see warren ${verb} --help)\n`);
    return 2;
  }
  process.stderr.write(`${line.split('\n')[0]}\n`);
  return e instanceof CliError ? e.exitCode : 1;
}

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
