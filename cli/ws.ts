// `warren ws …`: workspaces from the terminal — list, create, edit, start, stop, retry, delete, open, ssh, logs,
// port-forward.
import { parseArgs } from 'node:util';
import type { Workspace } from '../contract/index.ts';
import { CliError, CONNECTION_HELP, CONNECTION_OPTIONS, connect, must } from './connection.ts';
import { findWorkspace, workspaceAccess } from './workspace-ref.ts';
import { logs } from './ws-logs.ts';
import { portForward } from './ws-port-forward.ts';
import { ssh } from './ws-ssh.ts';

export const usage = `usage: warren ws <subcommand> [options]

  list [--json]                               your workspaces (all of them for an admin)
  create NAME [--project ID|NAME] [--node ID] [--app CMD] [--agent CMD] [--env K=V]… [--json]
                                              a workspace; --project may be left out when there is one project
  edit WS [--name N] [--app-command CMD] [--agent-command CMD] [--env K=V]… [--unset-env K]… [--json]
                                              change it; a running workspace restarts with the change
                                              (an empty CMD removes the app or the agent)
  start WS | stop WS | delete WS              ask for the workspace to run, stop, or go away
  retry WS                                    start a workspace in error (or degraded) afresh
  logs WS [--tail N] [-f|--follow] [--json]   the app's and the agent's output (last N lines, 200 unless
                                              told; -f: then follow); "app!" marks a line of stderr
  open WS [--print]                           the app in a browser on its own origin (--print: only the URL)
  ssh WS [-- COMMAND…]                        a terminal in the workspace (raw mode, resize); with COMMAND,
                                              runs it and exits with its exit status
  port-forward WS LOCAL:REMOTE [--bind ADDR]  local TCP port LOCAL reaches port REMOTE of the workspace
  port-forward WS --stdio REMOTE              the same over stdin/stdout: an ssh ProxyCommand, e.g.
                                                ssh -o ProxyCommand='warren ws port-forward %h --stdio 22' user@WS

WS is a workspace id or name. The workspace's node checks a short-lived token minted for the one thing
asked (terminal; a port tunnel for the ports named), never the API token.

${CONNECTION_HELP}`;

/** Dispatches `warren ws <subcommand> …`; resolves with the exit code. */
export default async function ws(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list':
    case 'ls':
      return list(rest);
    case 'create':
      return create(rest);
    case 'edit':
      return edit(rest);
    case 'start':
    case 'stop':
    case 'retry':
    case 'delete':
      return lifecycle(sub, rest);
    case 'logs':
      return logs(rest);
    case 'open':
      return open(rest);
    case 'ssh':
      return ssh(rest);
    case 'port-forward':
      return portForward(rest);
    default:
      throw new CliError(
        `warren ws: ${sub ? `unknown subcommand "${sub}"` : 'name a subcommand'}; ` +
          'one of list, create, edit, start, stop, retry, delete, open, ssh, logs, port-forward (see warren ws --help)',
        2,
      );
  }
}

async function list(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, json: { type: 'boolean' } } });
  const items = must('ws list', await connect(values).GET('/api/v1/workspaces')).items;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(items)}\n`);
    return 0;
  }
  if (items.length === 0) {
    process.stdout.write('no workspaces yet; warren ws create NAME makes one\n');
    return 0;
  }
  const rows = items.map((w) => [w.id, w.name, w.status, w.nodeId ?? '-', w.url ?? '-']);
  const head = ['ID', 'NAME', 'STATUS', 'NODE', 'URL'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    process.stdout.write(`${r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ')}\n`);
  return 0;
}

async function create(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      project: { type: 'string' },
      node: { type: 'string' },
      app: { type: 'string' },
      agent: { type: 'string' },
      env: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const name = positionals[0];
  if (!name) throw new CliError('warren ws create: name the workspace: warren ws create NAME', 2);
  const env = envPairs('ws create', values.env);
  const client = connect(values);
  const projects = must('ws create', await client.GET('/api/v1/projects')).items;
  const project = values.project
    ? projects.find((p) => p.id === values.project || p.name === values.project)
    : projects.length === 1
      ? projects[0]
      : undefined;
  if (!project)
    throw new CliError(
      values.project
        ? `warren ws create: no project "${values.project}" (projects: ${projects.map((p) => p.name).join(', ') || 'none'})`
        : `warren ws create: pass --project ID|NAME (projects: ${projects.map((p) => p.name).join(', ') || 'none; create one in the UI'})`,
      2,
    );
  const created = must(
    'ws create',
    await client.POST('/api/v1/workspaces', {
      body: {
        name,
        projectId: project.id,
        ...(values.node ? { nodeId: values.node } : {}),
        ...(values.app ? { appCommand: values.app } : {}),
        ...(values.agent ? { agentCommand: values.agent } : {}),
        ...(Object.keys(env).length ? { env } : {}),
      },
    }),
  );
  process.stdout.write(values.json ? `${JSON.stringify(created)}\n` : `${describe(created)}\n`);
  return 0;
}

/** `--env NAME=VALUE` flags as a record; a flag without a name and `=` is a usage error. */
function envPairs(verb: string, pairs: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new CliError(`warren ${verb}: --env takes NAME=VALUE, got "${pair}"`, 2);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

async function edit(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      name: { type: 'string' },
      'app-command': { type: 'string' },
      'agent-command': { type: 'string' },
      env: { type: 'string', multiple: true },
      'unset-env': { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  // A value sets the variable, null removes it; names left out stay as they are.
  const env: Record<string, string | null> = envPairs('ws edit', values.env);
  for (const name of values['unset-env'] ?? []) env[name] = null;
  const command = (c: string | undefined) => (c === undefined ? {} : { v: c === '' ? null : c });
  const app = command(values['app-command']);
  const agent = command(values['agent-command']);
  const body = {
    ...(values.name === undefined ? {} : { name: values.name }),
    ...('v' in app ? { appCommand: app.v } : {}),
    ...('v' in agent ? { agentCommand: agent.v } : {}),
    ...(Object.keys(env).length ? { env } : {}),
  };
  if (Object.keys(body).length === 0)
    throw new CliError(
      'warren ws edit: name something to change: --name, --app-command, --agent-command, --env or --unset-env',
      2,
    );
  const client = connect(values);
  const w = await findWorkspace(client, 'ws edit', positionals[0]);
  const updated = must(
    'ws edit',
    await client.PATCH('/api/v1/workspaces/{id}', { params: { path: { id: w.id } }, body }),
  );
  process.stdout.write(values.json ? `${JSON.stringify(updated)}\n` : `${describe(updated)}\n`);
  return 0;
}

async function lifecycle(verb: 'start' | 'stop' | 'retry' | 'delete', args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: CONNECTION_OPTIONS, allowPositionals: true });
  const client = connect(values);
  const w = await findWorkspace(client, `ws ${verb}`, positionals[0]);
  const params = { params: { path: { id: w.id } } };
  const r =
    verb === 'start'
      ? await client.POST('/api/v1/workspaces/{id}/start', params)
      : verb === 'stop'
        ? await client.POST('/api/v1/workspaces/{id}/stop', params)
        : verb === 'retry'
          ? await client.POST('/api/v1/workspaces/{id}/retry', params)
          : await client.DELETE('/api/v1/workspaces/{id}', params);
  process.stdout.write(`${describe(must(`ws ${verb}`, r))}\n`);
  return 0;
}

async function open(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CONNECTION_OPTIONS, print: { type: 'boolean' } },
    allowPositionals: true,
  });
  const client = connect(values);
  const w = await findWorkspace(client, 'ws open', positionals[0]);
  const access = await workspaceAccess(client, 'ws open', w, ['http']);
  if (!access.appUrl)
    throw new CliError(
      `warren ws open: the node of ${w.name} has no app origin (its base domain is unknown)`,
    );
  // The token goes to the app's own origin once and comes back as its cookie; the URL is good for minutes.
  const url = `${access.appUrl}/_auth?token=${encodeURIComponent(access.token)}`;
  process.stdout.write(`${url}\n`);
  if (values.print || !process.stdout.isTTY) return 0;
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  if (Bun.which(opener)) Bun.spawn([opener, url], { stdio: ['ignore', 'ignore', 'ignore'] }).unref();
  return 0;
}

function describe(w: Workspace): string {
  return `${w.id}  ${w.name}  ${w.status}${w.statusReason ? ` (${w.statusReason})` : ''}${w.nodeId ? ` on ${w.nodeId}` : ''}`;
}
