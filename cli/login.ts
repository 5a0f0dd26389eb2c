// `warren login URL`: stores a control plane and an API token in the user's config dir (0600) for every later verb.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CliError, configPath, connect, must, writeConfig } from './connection.ts';

export const usage = `usage: warren login URL [--token T]

Signs this machine's warren in to the control plane at URL. Without --token it prints (and tries to open) the
page where you create an API token, then reads the token you paste. The token is checked against URL, then
stored with URL in ${configPath()} (mode 0600); warren ws … and the other verbs use it when no --url, --token
or --data is given. WARREN_CONFIG names another file.`;

export default async function login(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { token: { type: 'string' } },
    allowPositionals: true,
  });
  const raw = positionals[0];
  if (!raw)
    throw new CliError('warren login: name the control plane: warren login https://warren.example.com', 2);
  let url: string;
  try {
    url = new URL(raw).origin;
  } catch {
    throw new CliError(`warren login: "${raw}" is not a URL (e.g. https://warren.example.com)`, 2);
  }
  let token = values.token ?? process.env.WARREN_TOKEN;
  if (!token) {
    const page = `${url}/settings`;
    process.stderr.write(`Sign in at ${page}, create an API token under "API tokens", and paste it here.\n`);
    if (process.stdin.isTTY) {
      const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
      if (Bun.which(opener)) Bun.spawn([opener, page], { stdio: ['ignore', 'ignore', 'ignore'] }).unref();
    }
    token = await readLine('API token: ');
  }
  if (!token) throw new CliError('warren login: no token given', 2);
  const user = must('login', await connect({ url, token }).GET('/api/v1/auth/me'));
  const path = writeConfig({ url, token });
  process.stdout.write(`logged in to ${url} as ${user.name} (${user.role}); saved in ${path}\n`);
  return 0;
}

function readLine(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      resolve(answer.trim());
    });
    rl.once('close', () => resolve(''));
  });
}
