// `warren task …`: a task's agent permission requests waiting for a person, and the answer to one.
import { parseArgs } from 'node:util';
import type { AgentPermissionRequest } from '../contract/index.ts';
import type { ControlClient } from '../openapi/client/index.ts';
import { CliError, CONNECTION_HELP, CONNECTION_OPTIONS, connect, must } from './connection.ts';

export const usage = `usage: warren task <subcommand> [options]

  permissions TASK [--json]             the requests of TASK's agent waiting for an answer, with their options
  answer TASK [REQUEST] OPTION          answers REQUEST (may be left out when only one waits) with one of its
                                        option ids; the agent gets exactly that option

TASK is a task id (warren's web UI and the API list them). A project whose policy is allow never asks.

${CONNECTION_HELP}`;

export default async function task(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { ...CONNECTION_OPTIONS, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (sub !== 'permissions' && sub !== 'answer')
    throw new CliError(
      `warren task: ${sub ? `unknown subcommand "${sub}"` : 'name a subcommand'}; one of permissions, answer (see warren task --help)`,
      2,
    );
  const id = positionals[0];
  if (!id) throw new CliError(`warren task ${sub}: name the task: warren task ${sub} TASK`, 2);
  const client = connect(values);
  if (sub === 'permissions') {
    const items = await waiting(client, id);
    if (values.json) process.stdout.write(`${JSON.stringify(items)}\n`);
    else if (items.length === 0) process.stdout.write('nothing waits for an answer\n');
    else for (const r of items) process.stdout.write(describe(r));
    return 0;
  }
  if (positionals.length < 2 || positionals.length > 3)
    throw new CliError('warren task answer: warren task answer TASK [REQUEST] OPTION', 2);
  const optionId = positionals[positionals.length - 1]!;
  let requestId = positionals.length === 3 ? positionals[1]! : undefined;
  if (!requestId) {
    const items = await waiting(client, id);
    if (items.length !== 1)
      throw new CliError(
        items.length === 0
          ? `warren task answer: nothing of task ${id} waits for an answer`
          : `warren task answer: ${items.length} requests wait; name one (warren task permissions ${id})`,
        2,
      );
    requestId = items[0]!.id;
  }
  const r = must(
    'task answer',
    await client.POST('/api/v1/tasks/{id}/permissions/{requestId}', {
      params: { path: { id, requestId } },
      body: { optionId },
    }),
  );
  process.stdout.write(`${r.requestId}: answered ${r.optionId}\n`);
  return 0;
}

async function waiting(client: ControlClient, id: string): Promise<AgentPermissionRequest[]> {
  return must(
    'task permissions',
    await client.GET('/api/v1/tasks/{id}/permissions', { params: { path: { id } } }),
  ).items;
}

/** A request as lines: what the agent wants, then each option as `optionId (kind) name`. */
function describe(r: AgentPermissionRequest): string {
  const what = r.toolCall.title ?? r.toolCall.kind ?? 'a tool call';
  const options = r.options.map((o) => `    ${o.optionId}  (${o.kind})  ${o.name}`).join('\n');
  return `${r.id}  ${r.createdAt}${r.resumed ? '  (its agent restarted)' : ''}\n  ${what}\n${options}\n`;
}
