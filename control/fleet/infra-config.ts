// Settings of node infrastructure (Tailscale API, provider, Hetzner, warm pool) from WARREN_* variables.
// control/config.ts calls this with the environment; nothing here reads process.env itself.
import { join } from 'node:path';
import * as v from 'valibot';
import { defaultHetznerConfig, type HetznerConfig, PROVIDER_KINDS } from '../providers/index.ts';
import { defaultTailscaleApiConfig, type TailscaleApiConfig } from '../tailscale/index.ts';
import { defaultWarmPoolConfig, type WarmPoolConfig } from '../warm-pool/index.ts';

/** Where node machines come from. */
export type ProviderConfig =
  /** Node processes on this host; `nodeCommand` is the `warren` command line (default: this Bun + cli/main.ts). */
  | {
      kind: 'local';
      /** The `warren` command line; default this Bun with this checkout's cli/main.ts. */
      nodeCommand?: string[];
      /** Where local nodes listen. Default 127.0.0.1 (`warren up --host` passes its own). */
      listenHost?: string;
    }
  | { kind: 'hetzner'; hetzner: HetznerConfig };

/** Whether warm pools are per project or one for the whole instance. */
export const WARM_POOL_SCOPES = ['instance', 'project'] as const;
export type WarmPoolScope = (typeof WARM_POOL_SCOPES)[number];

export interface InfraConfig {
  /** The Tailscale API (auth keys for new nodes, device removal); null: nodes join in direct mode. */
  tailscale: TailscaleApiConfig | null;
  /** Default `local`: needs nothing; `hetzner` needs a token, a passphrase and Tailscale. */
  provider: ProviderConfig;
  /** URL provisioned nodes join (WARREN_PUBLIC_URL); default the URL the control plane is bound to. */
  publicUrl?: string;
  /** Null (default): no warm pool; a new workspace goes to the online node with most room. */
  warmPool: (WarmPoolConfig & { scope: WarmPoolScope; maintainEveryMs: number }) | null;
  /** How long a provisioned node may take to join before provisioning fails. Local 60 s, Hetzner 15 min. */
  joinTimeoutMs: number;
}

export function defaultInfraConfig(): InfraConfig {
  return { tailscale: null, provider: { kind: 'local' }, warmPool: null, joinTimeoutMs: 60_000 };
}

type Env = Record<string, string | undefined>;
export type InfraConfigResult = { ok: true; config: InfraConfig } | { ok: false; message: string };

class Bad extends Error {}

function get(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

function check<T>(schema: v.GenericSchema<string, T>, name: string, raw: string): T {
  const r = v.safeParse(schema, raw);
  if (!r.success) throw new Bad(`${name} ${r.issues[0]?.message ?? 'is invalid'}`);
  return r.output;
}

const PositiveInt = v.pipe(
  v.string(),
  v.transform(Number),
  v.number('must be a number'),
  v.integer('must be an integer'),
  v.minValue(0, 'must be at least 0'),
);
const HttpUrl = v.pipe(v.string(), v.regex(/^https?:\/\/[^\s]+$/, 'must be an http(s) URL'));
const Tag = v.pipe(v.string(), v.regex(/^tag:[a-z0-9-]+$/i, 'must be tags like tag:warren-node'));
const Cidr = v.pipe(v.string(), v.regex(/^[0-9a-f.:]+\/\d{1,3}$/i, 'must be CIDRs like 198.51.100.7/32'));

const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Variables whose values are long-lived secrets; none of them may ever reach a node's user data. */
const SECRET_NAME = /(TOKEN|SECRET|KEY|PASSPHRASE|PASSWORD)/;

/** Reads the infrastructure settings; a partial setting is an error that names the missing variable. */
export function parseInfraConfig(env: Env, dataDir: string): InfraConfigResult {
  try {
    return { ok: true, config: parse(env, dataDir) };
  } catch (error) {
    if (error instanceof Bad) return { ok: false, message: error.message };
    throw error;
  }
}

function parse(env: Env, dataDir: string): InfraConfig {
  const config = defaultInfraConfig();
  config.tailscale = parseTailscale(env);
  const publicUrl = get(env, 'WARREN_PUBLIC_URL');
  if (publicUrl) config.publicUrl = check(HttpUrl, 'WARREN_PUBLIC_URL', publicUrl).replace(/\/+$/, '');

  const kind = get(env, 'WARREN_PROVIDER') ?? 'local';
  check(v.picklist(PROVIDER_KINDS, `must be ${PROVIDER_KINDS.join(' or ')}`), 'WARREN_PROVIDER', kind);
  if (kind === 'hetzner') {
    config.provider = { kind: 'hetzner', hetzner: parseHetzner(env, dataDir) };
    if (!config.tailscale)
      throw new Bad(
        'WARREN_PROVIDER=hetzner needs WARREN_TAILSCALE_TAILNET and an API key or OAuth client: cloud nodes join over Tailscale',
      );
    if (!config.publicUrl)
      throw new Bad(
        'WARREN_PROVIDER=hetzner needs WARREN_PUBLIC_URL: the URL cloud nodes reach this control plane at',
      );
    config.provider.hetzner.tailnetTags = config.tailscale.nodeTags;
    config.joinTimeoutMs = 15 * 60_000;
  }
  config.warmPool = parseWarmPool(env);
  return config;
}

function parseTailscale(env: Env): TailscaleApiConfig | null {
  const tailnet = get(env, 'WARREN_TAILSCALE_TAILNET');
  const apiKey = get(env, 'WARREN_TAILSCALE_API_KEY');
  const clientId = get(env, 'WARREN_TAILSCALE_OAUTH_CLIENT_ID');
  const clientSecret = get(env, 'WARREN_TAILSCALE_OAUTH_CLIENT_SECRET');
  const anyCredential = apiKey ?? clientId ?? clientSecret;
  if (!tailnet) {
    if (anyCredential)
      throw new Bad(
        'WARREN_TAILSCALE_TAILNET is required with a Tailscale API key or OAuth client (`-` means its own tailnet)',
      );
    return null;
  }
  if (apiKey && (clientId || clientSecret))
    throw new Bad(
      'WARREN_TAILSCALE_API_KEY and WARREN_TAILSCALE_OAUTH_CLIENT_* are exclusive: set one of them',
    );
  let config: TailscaleApiConfig;
  if (apiKey) {
    check(
      v.pipe(v.string(), v.startsWith('tskey-api-', 'must be an API access token (tskey-api-…)')),
      'WARREN_TAILSCALE_API_KEY',
      apiKey,
    );
    config = defaultTailscaleApiConfig(tailnet, { kind: 'api-key', apiKey });
  } else if (clientId || clientSecret) {
    if (!clientId)
      throw new Bad('WARREN_TAILSCALE_OAUTH_CLIENT_ID is required with WARREN_TAILSCALE_OAUTH_CLIENT_SECRET');
    if (!clientSecret)
      throw new Bad('WARREN_TAILSCALE_OAUTH_CLIENT_SECRET is required with WARREN_TAILSCALE_OAUTH_CLIENT_ID');
    config = defaultTailscaleApiConfig(tailnet, { kind: 'oauth', clientId, clientSecret });
  } else {
    throw new Bad(
      'WARREN_TAILSCALE_TAILNET needs WARREN_TAILSCALE_API_KEY or WARREN_TAILSCALE_OAUTH_CLIENT_ID and _SECRET',
    );
  }
  const tags = get(env, 'WARREN_TAILSCALE_TAGS');
  if (tags) {
    config.nodeTags = list(tags).map((t) => check(Tag, 'WARREN_TAILSCALE_TAGS', t));
    if (config.nodeTags.length === 0) throw new Bad('WARREN_TAILSCALE_TAGS must name at least one tag');
  }
  const apiUrl = get(env, 'WARREN_TAILSCALE_API_URL');
  if (apiUrl) config.baseUrl = check(HttpUrl, 'WARREN_TAILSCALE_API_URL', apiUrl).replace(/\/+$/, '');
  return config;
}

/** The Pulumi state of the hetzner provider, below the control plane's data dir. */
export const PULUMI_STATE_DIR = 'pulumi';

function parseHetzner(env: Env, dataDir: string): HetznerConfig {
  const need = (name: string, why: string) => {
    const value = get(env, name);
    if (!value) throw new Bad(`${name} is required with WARREN_PROVIDER=hetzner: ${why}`);
    return value;
  };
  const hcloudToken = need('WARREN_HETZNER_TOKEN', 'a read-write Hetzner Cloud API token');
  const passphrase = need('WARREN_PULUMI_PASSPHRASE', 'it encrypts the secrets in the Pulumi state');
  // The single executable (bun run build:cli) at a URL, or a shell command that installs `warren`.
  const warrenBinaryUrl = get(env, 'WARREN_NODE_BINARY_URL');
  if (warrenBinaryUrl)
    check(
      v.pipe(v.string(), v.url(), v.startsWith('https://', 'must be an https:// URL')),
      'WARREN_NODE_BINARY_URL',
      warrenBinaryUrl,
    );
  const warrenInstall = warrenBinaryUrl
    ? ''
    : need(
        'WARREN_NODE_INSTALL',
        'the shell command that installs `warren` on a new server (or WARREN_NODE_BINARY_URL: the executable)',
      );
  const config = defaultHetznerConfig({
    hcloudToken,
    stateDir: join(dataDir, PULUMI_STATE_DIR),
    stateEncryptionPassphrase: passphrase,
    warrenInstall,
    ...(warrenBinaryUrl ? { warrenBinaryUrl } : {}),
    // Settings come from the unit's environment (cloud-init.ts); the argv carries no secret.
    nodeArgv: ['/usr/local/bin/warren', 'node', 'join', '--network', 'tailscale'],
  });
  const location = get(env, 'WARREN_HETZNER_LOCATION');
  if (location)
    config.location = check(
      v.pipe(v.string(), v.regex(/^[a-z0-9-]+$/, 'must be a location like fsn1')),
      'WARREN_HETZNER_LOCATION',
      location,
    );
  const serverType = get(env, 'WARREN_HETZNER_SERVER_TYPE');
  if (serverType)
    config.serverType = check(
      v.pipe(v.string(), v.regex(/^[a-z0-9-]+$/, 'must be a server type like cx22')),
      'WARREN_HETZNER_SERVER_TYPE',
      serverType,
    );
  const image = get(env, 'WARREN_HETZNER_IMAGE');
  if (image) config.image = image;
  const sshKey = get(env, 'WARREN_HETZNER_SSH_PUBLIC_KEY');
  if (sshKey)
    config.sshPublicKey = check(
      v.pipe(v.string(), v.regex(/^(ssh-|ecdsa-)/, 'must be an OpenSSH public key')),
      'WARREN_HETZNER_SSH_PUBLIC_KEY',
      sshKey,
    );
  const sources = get(env, 'WARREN_HETZNER_SSH_SOURCE_IPS');
  if (sources)
    config.sshSourceIps = list(sources).map((c) => check(Cidr, 'WARREN_HETZNER_SSH_SOURCE_IPS', c));
  const bun = get(env, 'WARREN_NODE_BUN_VERSION');
  if (bun)
    config.bunVersion = check(
      v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+$/, 'must be a version like 1.4.5')),
      'WARREN_NODE_BUN_VERSION',
      bun,
    );
  // Every long-lived secret this process was given: cloud-init rendering refuses user data containing one.
  config.otherSecrets = Object.entries(env)
    .filter(
      ([name, value]) => name.startsWith('WARREN_') && SECRET_NAME.test(name) && value && value.length >= 8,
    )
    .map(([, value]) => value as string);
  return config;
}

function parseWarmPool(env: Env): InfraConfig['warmPool'] {
  const min = get(env, 'WARREN_WARM_POOL_MIN');
  const idle = get(env, 'WARREN_WARM_POOL_IDLE_TIMEOUT_S');
  const scope = get(env, 'WARREN_WARM_POOL_SCOPE');
  const minWarm = min === undefined ? 0 : check(PositiveInt, 'WARREN_WARM_POOL_MIN', min);
  if (minWarm === 0) {
    if (idle || scope)
      throw new Bad(
        'WARREN_WARM_POOL_MIN must be at least 1 to use WARREN_WARM_POOL_IDLE_TIMEOUT_S or _SCOPE',
      );
    return null;
  }
  const defaults = defaultWarmPoolConfig();
  return {
    minWarm,
    idleTimeoutMs:
      idle === undefined
        ? defaults.idleTimeoutMs
        : check(PositiveInt, 'WARREN_WARM_POOL_IDLE_TIMEOUT_S', idle) * 1000,
    scope:
      scope === undefined
        ? 'instance'
        : check(v.picklist(WARM_POOL_SCOPES, 'must be instance or project'), 'WARREN_WARM_POOL_SCOPE', scope),
    // 30 s: reaping is about idle minutes, and a refill after a claim is started right away anyway.
    maintainEveryMs: 30_000,
  };
}
