// Cloud-init user data for a cloud node: install tailscale and Bun, join the tailnet and Warren with one-use
// values only. User data stays readable on the VM (metadata service, /var/lib/cloud) for its whole life, so
// it must never carry a long-lived secret.
import { SECRET_PREFIX } from '../../contract/index.ts';
import { ProviderError } from './provider.ts';

export interface CloudInitInput {
  nodeId: string;
  /** URL the node joins (WARREN_CONTROL_URL in the unit); not a secret. */
  controlUrl: string;
  /** One-use Warren join token, valid minutes. */
  joinToken: string;
  /** One-use, pre-authorized, tagged Tailscale auth key. */
  tailnetAuthKey: string;
  /** Tags the node advertises; must be those of the auth key. */
  tailnetTags: string[];
  /** Bun release to install, e.g. `1.4.5`. */
  bunVersion: string;
  /** Shell command that installs the `warren` command (from config; e.g. fetch a release tarball). */
  warrenInstall: string;
  /**
   * Where to download the single `warren` executable (`bun run build:cli`) instead: it is installed as
   * /usr/local/bin/warren, Bun inside it, so neither Bun nor `warrenInstall` is run.
   */
  warrenBinaryUrl?: string;
  /**
   * The node's command line, without secrets: it reads the join token from WARREN_JOIN_TOKEN_FILE, keeps its
   * certificate in its data dir after the first join, and deletes the token file.
   */
  nodeArgv: string[];
  /**
   * Long-lived secrets of the control plane (Hetzner token, Tailscale API key or OAuth secret, master key):
   * rendering fails if any of them appears in the user data.
   */
  forbiddenSecrets: string[];
}

/** Where the one-use values are written on the node (root only, 0600). */
export const CLOUD_INIT_PATHS = {
  tailnetAuthKey: '/etc/warren/tailnet-auth-key',
  joinToken: '/etc/warren/join-token',
  unit: '/etc/systemd/system/warren-node.service',
  dataDir: '/var/lib/warren',
} as const;

/** Where the single executable goes; the unit's ExecStart (nodeArgv) names it. */
const WARREN_BINARY = '/usr/local/bin/warren';

/** Prefixes of long-lived credentials that never belong in user data. */
const LONG_LIVED_PREFIXES = [
  'tskey-api-',
  'tskey-client-',
  SECRET_PREFIX.apiToken,
  SECRET_PREFIX.session,
  SECRET_PREFIX.loginLink,
];

/** Renders `#cloud-config` user data; throws `unsafe_user_data` when a long-lived secret would be in it. */
export function renderCloudInit(input: CloudInitInput): string {
  if (!input.joinToken.startsWith(SECRET_PREFIX.joinToken)) {
    throw new ProviderError('unsafe_user_data', 'the join token is not a one-use join token');
  }
  if (!input.tailnetAuthKey.startsWith('tskey-auth-')) {
    throw new ProviderError('unsafe_user_data', 'the tailnet key is not an auth key (tskey-auth-…)');
  }
  const unit = [
    '[Unit]',
    'Description=Warren node',
    'After=network-online.target tailscaled.service',
    'Wants=network-online.target',
    '',
    '[Service]',
    // Settings by environment, so the unit does not depend on the CLI's flag spellings.
    `Environment=WARREN_DATA_DIR=${CLOUD_INIT_PATHS.dataDir}`,
    `Environment=WARREN_CONTROL_URL=${input.controlUrl}`,
    `Environment=WARREN_JOIN_TOKEN_FILE=${CLOUD_INIT_PATHS.joinToken}`,
    `ExecStart=${input.nodeArgv.map(systemdQuote).join(' ')}`,
    'Restart=always',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  const doc = {
    package_update: true,
    packages: ['curl', 'unzip', 'ca-certificates'],
    write_files: [
      {
        path: CLOUD_INIT_PATHS.tailnetAuthKey,
        permissions: '0600',
        owner: 'root:root',
        content: input.tailnetAuthKey,
      },
      { path: CLOUD_INIT_PATHS.joinToken, permissions: '0600', owner: 'root:root', content: input.joinToken },
      { path: CLOUD_INIT_PATHS.unit, permissions: '0644', owner: 'root:root', content: unit },
    ],
    runcmd: [
      ['sh', '-c', 'curl -fsSL https://tailscale.com/install.sh | sh'],
      [
        'tailscale',
        'up',
        `--auth-key=file:${CLOUD_INIT_PATHS.tailnetAuthKey}`,
        `--hostname=${input.nodeId}`,
        `--advertise-tags=${input.tailnetTags.join(',')}`,
      ],
      // The key is spent once the device joined; remove it from disk.
      ['rm', '-f', CLOUD_INIT_PATHS.tailnetAuthKey],
      ...(input.warrenBinaryUrl
        ? [
            ['curl', '-fsSL', '--retry', '5', '-o', WARREN_BINARY, input.warrenBinaryUrl],
            ['chmod', '0755', WARREN_BINARY],
          ]
        : [
            [
              'sh',
              '-c',
              `curl -fsSL https://bun.sh/install | BUN_INSTALL=/usr/local bash -s bun-v${input.bunVersion}`,
            ],
            ['sh', '-c', input.warrenInstall],
          ]),
      ['mkdir', '-p', '-m', '0700', CLOUD_INIT_PATHS.dataDir],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', 'warren-node.service'],
    ],
  };
  const text = `#cloud-config\n${toYaml(doc, 0)}`;
  for (const secret of input.forbiddenSecrets) {
    if (secret.length >= 8 && text.includes(secret)) {
      throw new ProviderError(
        'unsafe_user_data',
        'a long-lived secret of the control plane would be in user data',
      );
    }
  }
  for (const prefix of LONG_LIVED_PREFIXES) {
    if (text.includes(prefix)) {
      throw new ProviderError(
        'unsafe_user_data',
        `a long-lived credential (${prefix}…) would be in user data`,
      );
    }
  }
  return text;
}

/** systemd ExecStart quoting: plain words as they are, others double-quoted. */
function systemdQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

type Yaml = string | number | boolean | Yaml[] | { [k: string]: Yaml };

/** A small block-style YAML writer; scalars are JSON-quoted strings, which YAML reads as double-quoted. */
function toYaml(value: Yaml, indent: number): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        if (typeof item === 'object') {
          const inner = toYaml(item, indent + 2).trimStart();
          return `${pad}- ${inner}`;
        }
        return `${pad}- ${scalar(item)}\n`;
      })
      .join('');
  }
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) =>
        typeof v === 'object' ? `${pad}${k}:\n${toYaml(v, indent + 2)}` : `${pad}${k}: ${scalar(v)}\n`,
      )
      .join('');
  }
  return `${pad}${scalar(value)}\n`;
}

function scalar(v: string | number | boolean): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
