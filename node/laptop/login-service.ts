// Run-at-login service files for `warren node join --laptop`: a systemd user unit (Linux) and a launchd
// agent plist (macOS). They start the node from its data dir, where it keeps its certificate after the
// first join, so no join token (or any other secret) is ever written into them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SECRET_PREFIX } from '../../contract/index.ts';

export interface LoginServiceInput {
  /** Absolute path of the program, e.g. the `warren` command or `bun`. */
  program: string;
  /** Its arguments, e.g. `['node', 'run', '--laptop']`. */
  args: string[];
  /** The node's data dir (certificate, key, workspaces). */
  dataDir: string;
  /** Control plane URL; not a secret. */
  controlUrl: string;
  /** Where launchd writes the node's output (macOS). */
  logFile?: string;
}

/** Names the service files go by. */
export const LOGIN_SERVICE = {
  systemdUnitName: 'warren-node.service',
  /** Relative to the home directory. */
  systemdUnitPath: '.config/systemd/user/warren-node.service',
  launchdLabel: 'dev.warren.node',
  /** Relative to the home directory. */
  launchdPlistPath: 'Library/LaunchAgents/dev.warren.node.plist',
} as const;

/** A join token, API token or session in a service file would outlive its purpose and leak to backups. */
export class SecretInServiceError extends Error {
  readonly code = 'secret_in_service_file';
  constructor() {
    super(
      'refusing to write a secret into a login service file: the node reads its certificate from its data dir',
    );
    this.name = 'SecretInServiceError';
  }
}

function assertNoSecret(input: LoginServiceInput): void {
  const text = [input.program, ...input.args, input.dataDir, input.controlUrl, input.logFile ?? ''].join(
    '\n',
  );
  const prefixes = [
    SECRET_PREFIX.joinToken,
    SECRET_PREFIX.apiToken,
    SECRET_PREFIX.session,
    SECRET_PREFIX.loginLink,
  ];
  if (prefixes.some((p) => text.includes(p)) || /--(join-)?token\b/.test(text))
    throw new SecretInServiceError();
}

/** systemd quoting for ExecStart: plain words as they are, others double-quoted with escapes. */
function systemdWord(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** The systemd user unit (`systemctl --user enable --now warren-node`). */
export function renderSystemdUserUnit(input: LoginServiceInput): string {
  assertNoSecret(input);
  return [
    '[Unit]',
    'Description=Warren node (laptop)',
    'After=network-online.target',
    '',
    '[Service]',
    `Environment=${systemdWord(`WARREN_DATA_DIR=${input.dataDir}`)}`,
    `Environment=${systemdWord(`WARREN_CONTROL_URL=${input.controlUrl}`)}`,
    `ExecStart=${[input.program, ...input.args].map(systemdWord).join(' ')}`,
    // After sleep or a crash the node comes back and re-registers its workspaces.
    'Restart=always',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The launchd agent plist (`launchctl bootstrap gui/$UID ~/Library/LaunchAgents/dev.warren.node.plist`). */
export function renderLaunchdPlist(input: LoginServiceInput): string {
  assertNoSecret(input);
  const args = [input.program, ...input.args].map((a) => `    <string>${xml(a)}</string>`).join('\n');
  const log = input.logFile
    ? `  <key>StandardOutPath</key>\n  <string>${xml(input.logFile)}</string>\n  <key>StandardErrorPath</key>\n  <string>${xml(input.logFile)}</string>\n`
    : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LOGIN_SERVICE.launchdLabel}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>WARREN_DATA_DIR</key>
    <string>${xml(input.dataDir)}</string>
    <key>WARREN_CONTROL_URL</key>
    <string>${xml(input.controlUrl)}</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <true/>
${log}</dict>
</plist>
`;
}

/** What `--laptop` does about running at login on this platform; it writes only when the person asked. */
export interface LoginServicePlan {
  kind: 'systemd' | 'launchd';
  /** Absolute path the file goes to. */
  path: string;
  content: string;
  /** Commands the person runs (or that are run after they agreed) to enable it. */
  enable: string[];
}

/** Plans the service file for `platform` (`linux` → systemd user unit, `darwin` → launchd agent). */
export function planLoginService(platform: string, home: string, input: LoginServiceInput): LoginServicePlan {
  if (platform === 'darwin') {
    const path = `${home}/${LOGIN_SERVICE.launchdPlistPath}`;
    return {
      kind: 'launchd',
      path,
      content: renderLaunchdPlist(input),
      enable: [`launchctl bootstrap gui/$(id -u) ${path}`],
    };
  }
  return {
    kind: 'systemd',
    path: `${home}/${LOGIN_SERVICE.systemdUnitPath}`,
    content: renderSystemdUserUnit(input),
    enable: [
      'systemctl --user daemon-reload',
      `systemctl --user enable --now ${LOGIN_SERVICE.systemdUnitName}`,
    ],
  };
}

/**
 * Writes the planned file (creating its folder) and nothing else: enabling it is the person's step, printed
 * from `plan.enable`. An existing file with other content is kept unless `replace` is set.
 */
export function writeLoginService(
  plan: LoginServicePlan,
  options: { replace?: boolean } = {},
): 'written' | 'unchanged' | 'exists' {
  if (existsSync(plan.path)) {
    if (readFileSync(plan.path, 'utf8') === plan.content) return 'unchanged';
    if (!options.replace) return 'exists';
  }
  mkdirSync(dirname(plan.path), { recursive: true, mode: 0o700 });
  writeFileSync(plan.path, plan.content, { mode: 0o644 });
  return 'written';
}
