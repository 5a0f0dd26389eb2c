// `warren control`: runs the control plane until SIGINT/SIGTERM; prints one JSON ready line on stdout.
import { parseArgs } from 'node:util';
import { ConfigError, loadControlConfig, type RunningControl, startControl } from '../control/index.ts';
import { DataDirLockedError } from '../disk/index.ts';

export const usage = `usage: warren control [--port 7400] [--data .warren] [--db-url URL] [--host 127.0.0.1]
                      [--mesh-listen host:port]

Runs the control plane in the foreground until Ctrl-C and prints one JSON ready line. On the first start it
creates an admin and prints a one-time sign-in link and an admin API token (both also saved, 0600, in the
data dir). Locked out later? warren admin login-link --data DIR prints a fresh link.`;

export default async function control(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      'db-url': { type: 'string' },
      host: { type: 'string' },
      'mesh-listen': { type: 'string' },
    },
    strict: true,
  });
  let config: ReturnType<typeof loadControlConfig>;
  try {
    config = loadControlConfig({
      ...(values.port !== undefined ? { port: values.port } : {}),
      ...(values.data !== undefined ? { data: values.data } : {}),
      ...(values['db-url'] !== undefined ? { dbUrl: values['db-url'] } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(values['mesh-listen'] !== undefined ? { meshListen: values['mesh-listen'] } : {}),
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`warren control: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  let running: RunningControl;
  try {
    running = await startControl(config);
  } catch (e) {
    if (e instanceof DataDirLockedError) {
      process.stderr.write(`warren control: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  // Listening before the ready line: a script that stops us as soon as it reads that line gets a clean stop.
  const stopAsked = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  if (running.firstStart) {
    // Shown once, on the very first start only; both are also in the data dir with mode 0600.
    process.stdout.write(
      [
        'Warren control plane: first start, an admin user was created.',
        `  Sign in to the UI (one use): ${running.firstStart.loginLink}`,
        `  Admin API token:             ${running.firstStart.adminToken}`,
        `  (both saved in ${config.dataDir}/login-link.txt and ${config.dataDir}/admin-token)`,
        '',
      ].join('\n'),
    );
  }
  process.stdout.write(
    `${JSON.stringify({ ready: true, url: running.url, dataDir: config.dataDir, pid: process.pid })}\n`,
  );
  await stopAsked;
  await running.stop();
  return 0;
}
