// The GitHub App's configuration: parsing and validating it from an environment record (pure; config.ts passes env).
import { createPrivateKey } from 'node:crypto';

/** Everything Warren needs to act as a GitHub App. */
export interface GitHubConfig {
  /** The App's numeric id (the `iss` of its JWTs). */
  appId: number;
  /** The App's private key, normalised to PKCS#8 PEM (octokit's JWT signer takes PKCS#8 only). */
  privateKey: string;
  /** OAuth client id of the App, for user sign-in. */
  clientId: string;
  clientSecret: string;
  /** Shared secret GitHub signs webhook deliveries with (`X-Hub-Signature-256`). */
  webhookSecret: string;
  /** REST API root; default `https://api.github.com`. Tests point it at the local fake. */
  apiBaseUrl: string;
  /** The App's slug, for the "install the App" link; null when not configured. */
  appSlug: string | null;
  /**
   * Where repositories are cloned from over HTTPS (`<gitBaseUrl>/<owner>/<repo>.git`); default
   * `https://github.com`. GitHub Enterprise names its host; tests a local `git http-backend`.
   */
  gitBaseUrl: string;
}

/** The variables parseGitHubConfig reads, in the order it reports them. */
export const GITHUB_ENV = {
  appId: 'WARREN_GITHUB_APP_ID',
  privateKey: 'WARREN_GITHUB_PRIVATE_KEY',
  clientId: 'WARREN_GITHUB_CLIENT_ID',
  clientSecret: 'WARREN_GITHUB_CLIENT_SECRET',
  webhookSecret: 'WARREN_GITHUB_WEBHOOK_SECRET',
  apiBaseUrl: 'WARREN_GITHUB_API_URL',
  appSlug: 'WARREN_GITHUB_APP_SLUG',
  gitBaseUrl: 'WARREN_GITHUB_GIT_URL',
} as const;

const REQUIRED = ['appId', 'privateKey', 'clientId', 'clientSecret', 'webhookSecret'] as const;

/**
 * The outcome of parsing: `config: null` when no GitHub variable is set (GitHub is off), or an error that
 * names the variable when the configuration is partial or wrong. Never throws.
 */
export type GitHubConfigResult =
  | { ok: true; config: GitHubConfig | null }
  | { ok: false; variable: string; message: string };

/** Reads the GitHub App configuration from `env` (which the process's config.ts hands in). */
export function parseGitHubConfig(env: Record<string, string | undefined>): GitHubConfigResult {
  const value = (key: keyof typeof GITHUB_ENV) => {
    const raw = env[GITHUB_ENV[key]];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const anySet = (Object.keys(GITHUB_ENV) as (keyof typeof GITHUB_ENV)[]).some((k) => value(k) !== undefined);
  if (!anySet) return { ok: true, config: null };

  for (const key of REQUIRED) {
    if (value(key) === undefined) {
      const set = REQUIRED.filter((k) => value(k) !== undefined).map((k) => GITHUB_ENV[k]);
      return fail(
        key,
        `is missing: the GitHub App configuration is partial (set: ${set.join(', ') || 'none of the required'}); set all of ${REQUIRED.map((k) => GITHUB_ENV[k]).join(', ')} or none`,
      );
    }
  }
  const appIdText = value('appId')!;
  if (!/^[1-9][0-9]{0,15}$/.test(appIdText)) return fail('appId', 'must be the numeric App id');

  const key = normalisePrivateKey(value('privateKey')!);
  if (!key.ok) return fail('privateKey', key.message);

  const apiBaseUrl = httpUrl(value('apiBaseUrl'), 'https://api.github.com'); // GitHub.com's REST root
  if (apiBaseUrl === undefined) return fail('apiBaseUrl', 'must be an http(s) URL');
  const gitBaseUrl = httpUrl(value('gitBaseUrl'), 'https://github.com'); // GitHub.com's git host
  if (gitBaseUrl === undefined) return fail('gitBaseUrl', 'must be an http(s) URL');
  const slug = value('appSlug') ?? null;
  if (slug !== null && !/^[a-z0-9][a-z0-9-]{0,99}$/.test(slug)) {
    return fail('appSlug', 'must be the App slug (lowercase letters, digits and dashes)');
  }
  return {
    ok: true,
    config: {
      appId: Number(appIdText),
      privateKey: key.pem,
      clientId: value('clientId')!,
      clientSecret: value('clientSecret')!,
      webhookSecret: value('webhookSecret')!,
      apiBaseUrl,
      appSlug: slug,
      gitBaseUrl,
    },
  };
}

/** `raw` without trailing slashes when it is an http(s) URL, `fallback` when unset, undefined when invalid. */
function httpUrl(raw: string | undefined, fallback: string): string | undefined {
  if (raw === undefined) return fallback;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  } catch {
    return undefined;
  }
  return raw.replace(/\/+$/, '');
}

function fail(key: keyof typeof GITHUB_ENV, message: string): GitHubConfigResult {
  return { ok: false, variable: GITHUB_ENV[key], message: `${GITHUB_ENV[key]} ${message}` };
}

/**
 * Accepts the key as PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`, real newlines or `\n` escapes)
 * or as base64 of such a PEM, and returns PKCS#8 PEM. The message never contains key material.
 */
export function normalisePrivateKey(
  input: string,
): { ok: true; pem: string } | { ok: false; message: string } {
  let pem = input.trim();
  if (!pem.startsWith('-----BEGIN')) {
    const decoded = /^[A-Za-z0-9+/=\s]+$/.test(pem) ? Buffer.from(pem, 'base64').toString('utf8').trim() : '';
    if (!decoded.startsWith('-----BEGIN')) {
      return { ok: false, message: 'must be a PEM private key (PKCS#1 or PKCS#8), raw or base64-encoded' };
    }
    pem = decoded;
  }
  pem = pem.replace(/\\n/g, '\n');
  if (!/^-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) {
    return {
      ok: false,
      message: 'must be an RSA private key in PKCS#1 or PKCS#8 PEM (not OpenSSH or encrypted)',
    };
  }
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType !== 'rsa')
      return { ok: false, message: 'must be an RSA key (GitHub Apps sign RS256)' };
    return { ok: true, pem: key.export({ type: 'pkcs8', format: 'pem' }).toString() };
  } catch {
    return { ok: false, message: 'is not a readable PEM private key' };
  }
}
