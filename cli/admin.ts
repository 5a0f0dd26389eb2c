// `warren admin …`: people — list, invite, fresh sign-in links, disable, enable and delete (admin).
import { parseArgs } from 'node:util';
import type { User } from '../contract/index.ts';
import type { ControlClient } from '../openapi/client/index.ts';
import { CliError, CONNECTION_HELP, CONNECTION_OPTIONS, connect, must } from './connection.ts';

export const usage = `usage: warren admin <subcommand> [options]

  users [--json]                        everyone, with role and whether they are disabled
  invite NAME [--email E] [--role admin|member]
                                        a new person: prints their one-time sign-in link
  login-link [USER]                     a fresh one-time sign-in link for USER (default: the first admin).
                                        Locked out? On the control plane's machine:
                                          warren admin login-link --data DIR
  disable USER | enable USER            disabling ends their sessions and tokens at once
  delete USER                           the same, then removes them (their workspaces must be gone first)

USER is a user id, an email or a name.

${CONNECTION_HELP}`;

export default async function admin(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      ...CONNECTION_OPTIONS,
      json: { type: 'boolean' },
      email: { type: 'string' },
      role: { type: 'string' },
    },
    allowPositionals: true,
  });
  const verb = `admin ${sub ?? ''}`.trim();
  if (
    sub === 'users' ||
    sub === 'invite' ||
    sub === 'login-link' ||
    sub === 'disable' ||
    sub === 'enable' ||
    sub === 'delete'
  ) {
    const client = connect(values);
    if (sub === 'users') return listUsers(client, values.json === true);
    if (sub === 'invite') {
      const name = positionals[0];
      if (!name)
        throw new CliError('warren admin invite: name the person: warren admin invite NAME [--email E]', 2);
      if (values.role !== undefined && values.role !== 'admin' && values.role !== 'member')
        throw new CliError('warren admin invite: --role is admin or member', 2);
      const r = must(
        verb,
        await client.POST('/api/v1/users', {
          body: {
            name,
            ...(values.email ? { email: values.email } : {}),
            ...(values.role ? { role: values.role as 'admin' | 'member' } : {}),
          },
        }),
      );
      process.stdout.write(`${r.user.id} ${r.user.name}: sign-in link (one use): ${r.loginLink}\n`);
      return 0;
    }
    const user = await findUser(client, verb, positionals[0], sub === 'login-link');
    const params = { params: { path: { id: user.id } } };
    if (sub === 'login-link') {
      const r = must(verb, await client.POST('/api/v1/users/{id}/login-link', params));
      process.stdout.write(`${r.loginLink}\n`);
      return 0;
    }
    const r =
      sub === 'disable'
        ? await client.POST('/api/v1/users/{id}/disable', params)
        : sub === 'enable'
          ? await client.POST('/api/v1/users/{id}/enable', params)
          : await client.DELETE('/api/v1/users/{id}', params);
    const done = must(verb, r);
    process.stdout.write(`${done.id} ${done.name}: ${sub === 'delete' ? 'deleted' : `${sub}d`}\n`);
    return 0;
  }
  throw new CliError(
    `warren admin: ${sub ? `unknown subcommand "${sub}"` : 'name a subcommand'}; ` +
      'one of users, invite, login-link, disable, enable, delete (see warren admin --help)',
    2,
  );
}

async function listUsers(client: ControlClient, json: boolean): Promise<number> {
  const items = must('admin users', await client.GET('/api/v1/users')).items;
  if (json) {
    process.stdout.write(`${JSON.stringify(items)}\n`);
    return 0;
  }
  for (const u of items)
    process.stdout.write(
      `${u.id}  ${u.role.padEnd(6)}  ${(u.disabledAt ? 'disabled' : u.status).padEnd(8)}  ${u.name}${u.email ? ` <${u.email}>` : ''}\n`,
    );
  return 0;
}

/** The user `ref` names (id, email or name); with `firstAdmin`, no ref means the first admin. */
async function findUser(
  client: ControlClient,
  verb: string,
  ref: string | undefined,
  firstAdmin: boolean,
): Promise<User> {
  const items = must(verb, await client.GET('/api/v1/users')).items as User[];
  if (!ref) {
    const admin = firstAdmin ? items.find((u) => u.role === 'admin' && !u.disabledAt) : undefined;
    if (admin) return admin;
    throw new CliError(
      `warren ${verb}: name the user (an id, email or name; warren admin users lists them)`,
      2,
    );
  }
  const found = items.filter(
    (u) => u.id === ref || u.email?.toLowerCase() === ref.toLowerCase() || u.name === ref,
  );
  if (found.length === 1) return found[0]!;
  throw new CliError(
    found.length === 0
      ? `warren ${verb}: no user "${ref}" (warren admin users lists them)`
      : `warren ${verb}: ${found.length} users match "${ref}"; use the id`,
  );
}
