// Entry of the `warren-control` Pulumi program (scripts/infra/Pulumi.yaml): reads stack config, declares the deployment.
import * as pulumi from '@pulumi/pulumi';
import { defaultStaticDeploymentConfig, staticDeployment } from './static-deployment.ts';

const cfg = new pulumi.Config();
const defaults = defaultStaticDeploymentConfig(cfg.require('warrenInstall'));
const tailscaleAuthKey = cfg.getSecret('tailscaleAuthKey');
const sshPublicKey = cfg.get('sshPublicKey');

const out = staticDeployment({
  ...defaults,
  location: cfg.get('location') ?? defaults.location,
  serverType: cfg.get('serverType') ?? defaults.serverType,
  image: cfg.get('image') ?? defaults.image,
  volumeSizeGb: cfg.getNumber('volumeSizeGb') ?? defaults.volumeSizeGb,
  sshSourceIps: cfg.getObject<string[]>('sshSourceIps') ?? defaults.sshSourceIps,
  publicHttps: cfg.getBoolean('publicHttps') ?? defaults.publicHttps,
  controlPort: cfg.getNumber('controlPort') ?? defaults.controlPort,
  bunVersion: cfg.get('bunVersion') ?? defaults.bunVersion,
  ...(sshPublicKey ? { sshPublicKey } : {}),
  ...(tailscaleAuthKey ? { tailscaleAuthKey } : {}),
});

export const ipv4 = out.ipv4;
export const ipv6 = out.ipv6;
export const volumeId = out.volumeId;
