// The static deployment of a Warren control plane on Hetzner: one server, its firewall, and a volume that
// holds the database, protected so that `pulumi destroy` never takes the data with it.
import * as hcloud from '@pulumi/hcloud';
import * as pulumi from '@pulumi/pulumi';

export interface StaticDeploymentConfig {
  /** Default `fsn1`. */
  location: string;
  /** Default `cx22` (2 vCPU, 4 GB): the control plane is small; nodes do the work. */
  serverType: string;
  /** Default `debian-12`. */
  image: string;
  /** Database volume in GB. Default 20: libSQL files of a busy instance stay far below. */
  volumeSizeGb: number;
  sshPublicKey?: string;
  /** CIDRs SSH is open to; default none (closed). */
  sshSourceIps: string[];
  /** Open 80 and 443 to the world for the web UI and API (TLS in front). Default true. */
  publicHttps: boolean;
  /** The port `warren control` listens on behind TLS. Default 7400. */
  controlPort: number;
  /** One-use Tailscale auth key (`tskey-auth-…`) so nodes reach the control plane over the tailnet; optional. */
  tailscaleAuthKey?: pulumi.Input<string>;
  /** Bun release to install. Default `1.4.5`, the version Warren is built and tested with. */
  bunVersion: string;
  /** Shell command that installs the `warren` command on the server. */
  warrenInstall: string;
}

export function defaultStaticDeploymentConfig(warrenInstall: string): StaticDeploymentConfig {
  return {
    location: 'fsn1',
    serverType: 'cx22',
    image: 'debian-12',
    volumeSizeGb: 20,
    sshSourceIps: [],
    publicHttps: true,
    controlPort: 7400,
    bunVersion: '1.4.5',
    warrenInstall,
  };
}

/** Where the database volume is mounted; `warren control --data-dir` points here. */
export const DATA_DIR = '/var/lib/warren';

const ANYWHERE = ['0.0.0.0/0', '::/0'];
const LABELS = { 'warren-managed': 'true', 'warren-role': 'control' };

/** Inbound rules: tailscale UDP, ICMP, HTTP(S) when public, SSH only from the configured sources. */
export function controlFirewallRules(config: StaticDeploymentConfig): hcloud.types.input.FirewallRule[] {
  const rules: hcloud.types.input.FirewallRule[] = [
    { direction: 'in', protocol: 'udp', port: '41641', sourceIps: ANYWHERE, description: 'tailscale' },
    { direction: 'in', protocol: 'icmp', sourceIps: ANYWHERE, description: 'icmp' },
  ];
  if (config.publicHttps) {
    rules.push(
      {
        direction: 'in',
        protocol: 'tcp',
        port: '80',
        sourceIps: ANYWHERE,
        description: 'http (ACME, redirect)',
      },
      { direction: 'in', protocol: 'tcp', port: '443', sourceIps: ANYWHERE, description: 'https' },
    );
  }
  if (config.sshSourceIps.length > 0) {
    rules.push({
      direction: 'in',
      protocol: 'tcp',
      port: '22',
      sourceIps: config.sshSourceIps,
      description: 'ssh',
    });
  }
  return rules;
}

/**
 * Cloud-init for the control server: mount the volume at DATA_DIR, install Bun (and tailscale when a key is
 * given), run `warren control` under systemd. The control plane creates its keys and first admin token in
 * its data dir at first start, so no Warren secret is in user data; the only secret is the one-use auth key.
 */
export function controlUserData(
  config: StaticDeploymentConfig,
  volumeId: string,
  tailscaleAuthKey?: string,
): string {
  const device = `/dev/disk/by-id/scsi-0HC_Volume_${volumeId}`;
  const unit = [
    '[Unit]',
    'Description=Warren control plane',
    'After=network-online.target',
    'RequiresMountsFor=/var/lib/warren',
    '',
    '[Service]',
    // Settings by environment (control/config.ts reads WARREN_*), so the unit does not depend on flag spellings.
    `Environment=WARREN_DATA_DIR=${DATA_DIR}`,
    `Environment=WARREN_PORT=${config.controlPort}`,
    'ExecStart=/usr/local/bin/warren control',
    'Restart=always',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  const runcmd: string[][] = [
    ['mkdir', '-p', DATA_DIR],
    [
      'sh',
      '-c',
      `grep -q ${device} /etc/fstab || echo '${device} ${DATA_DIR} ext4 discard,nofail,defaults 0 0' >> /etc/fstab`,
    ],
    ['mount', DATA_DIR],
    ['chmod', '0700', DATA_DIR],
    [
      'sh',
      '-c',
      `curl -fsSL https://bun.sh/install | BUN_INSTALL=/usr/local bash -s bun-v${config.bunVersion}`,
    ],
    ['sh', '-c', config.warrenInstall],
  ];
  const files: { path: string; permissions: string; content: string }[] = [
    { path: '/etc/systemd/system/warren-control.service', permissions: '0644', content: unit },
  ];
  if (tailscaleAuthKey) {
    if (!tailscaleAuthKey.startsWith('tskey-auth-'))
      throw new Error('tailscaleAuthKey must be a one-use auth key');
    files.push({ path: '/etc/warren/tailnet-auth-key', permissions: '0600', content: tailscaleAuthKey });
    runcmd.push(
      ['sh', '-c', 'curl -fsSL https://tailscale.com/install.sh | sh'],
      ['tailscale', 'up', '--auth-key=file:/etc/warren/tailnet-auth-key', '--hostname=warren-control'],
      ['rm', '-f', '/etc/warren/tailnet-auth-key'],
    );
  }
  runcmd.push(['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', 'warren-control.service']);
  // JSON is YAML: cloud-init reads this document as it is.
  return `#cloud-config\n${JSON.stringify({ package_update: true, packages: ['curl', 'unzip'], write_files: files, runcmd }, null, 2)}\n`;
}

/** Declares the deployment's resources; returns the outputs `pulumi up` prints. */
export function staticDeployment(config: StaticDeploymentConfig) {
  const sshKey = config.sshPublicKey
    ? new hcloud.SshKey('warren-control', { publicKey: config.sshPublicKey, labels: LABELS })
    : undefined;
  const firewall = new hcloud.Firewall('warren-control', {
    labels: LABELS,
    rules: controlFirewallRules(config),
  });
  // The database lives here: protected in Pulumi and in Hetzner, so replacing the server keeps it.
  const volume = new hcloud.Volume(
    'warren-data',
    {
      size: config.volumeSizeGb,
      location: config.location,
      format: 'ext4',
      deleteProtection: true,
      labels: LABELS,
    },
    { protect: true },
  );
  const userData = pulumi
    .all([volume.id, config.tailscaleAuthKey])
    .apply(([id, key]) => controlUserData(config, id, key));
  const server = new hcloud.Server('warren-control', {
    serverType: config.serverType,
    image: config.image,
    location: config.location,
    labels: LABELS,
    sshKeys: sshKey ? [sshKey.id] : [],
    firewallIds: [firewall.id.apply(Number)],
    publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
    userData: pulumi.secret(userData),
  });
  new hcloud.VolumeAttachment('warren-data', {
    serverId: server.id.apply(Number),
    volumeId: volume.id.apply(Number),
    automount: false,
  });
  return { ipv4: server.ipv4Address, ipv6: server.ipv6Address, volumeId: volume.id };
}
