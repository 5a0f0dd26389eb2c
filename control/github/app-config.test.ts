// Tests of parseGitHubConfig: off, full, key forms, partial and wrong configurations.
import { describe, expect, it } from 'bun:test';
import { generateKeyPairSync } from 'node:crypto';
import { parseGitHubConfig } from './app-config.ts';
import { generateAppKey } from './testing/index.ts';

const key = generateAppKey();
const full = (privateKey: string) => ({
  WARREN_GITHUB_APP_ID: '12345',
  WARREN_GITHUB_PRIVATE_KEY: privateKey,
  WARREN_GITHUB_CLIENT_ID: 'Iv1.abc',
  WARREN_GITHUB_CLIENT_SECRET: 'shh',
  WARREN_GITHUB_WEBHOOK_SECRET: 'hook',
});

describe('parseGitHubConfig', () => {
  it('is off when no GitHub variable is set', () => {
    expect(parseGitHubConfig({ PATH: '/bin' })).toEqual({ ok: true, config: null });
  });

  it('reads a full configuration with GitHub.com defaults', () => {
    const r = parseGitHubConfig(full(key.pkcs8));
    if (!r.ok || !r.config) throw new Error('expected a config');
    expect(r.config).toMatchObject({
      appId: 12345,
      clientId: 'Iv1.abc',
      apiBaseUrl: 'https://api.github.com',
      appSlug: null,
    });
    expect(r.config.privateKey).toStartWith('-----BEGIN PRIVATE KEY-----');
  });

  it('accepts the key as PKCS#1 or PKCS#8, raw, with escaped newlines, or base64, and yields the same PKCS#8', () => {
    const forms = [
      key.pkcs1,
      key.pkcs8,
      key.pkcs1.replace(/\n/g, '\\n'),
      Buffer.from(key.pkcs1).toString('base64'),
      Buffer.from(key.pkcs8).toString('base64'),
    ];
    const pems = forms.map((k) => {
      const r = parseGitHubConfig(full(k));
      if (!r.ok || !r.config) throw new Error(`form refused: ${!r.ok && r.message}`);
      return r.config.privateKey;
    });
    expect(new Set(pems).size).toBe(1);
    expect(pems[0]).toBe(key.pkcs8);
  });

  it('names the missing variable when the configuration is partial', () => {
    const env: Record<string, string> = full(key.pkcs8);
    delete env.WARREN_GITHUB_WEBHOOK_SECRET;
    const r = parseGitHubConfig(env);
    expect(r).toMatchObject({ ok: false, variable: 'WARREN_GITHUB_WEBHOOK_SECRET' });
    expect(!r.ok && r.message).toContain('WARREN_GITHUB_WEBHOOK_SECRET is missing');
    expect(parseGitHubConfig({ WARREN_GITHUB_API_URL: 'http://127.0.0.1:9' })).toMatchObject({
      ok: false,
      variable: 'WARREN_GITHUB_APP_ID',
    });
  });

  it('names the variable that is wrong, without echoing the key', () => {
    expect(parseGitHubConfig({ ...full(key.pkcs8), WARREN_GITHUB_APP_ID: 'abc' })).toMatchObject({
      ok: false,
      variable: 'WARREN_GITHUB_APP_ID',
    });
    const garbage = '-----BEGIN RSA PRIVATE KEY-----\nnot-a-key\n-----END RSA PRIVATE KEY-----';
    const r = parseGitHubConfig(full(garbage));
    expect(r).toMatchObject({ ok: false, variable: 'WARREN_GITHUB_PRIVATE_KEY' });
    expect(!r.ok && r.message).not.toContain('not-a-key');
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    expect(parseGitHubConfig(full(ed))).toMatchObject({ ok: false, variable: 'WARREN_GITHUB_PRIVATE_KEY' });
    expect(parseGitHubConfig({ ...full(key.pkcs8), WARREN_GITHUB_API_URL: 'ftp://x' })).toMatchObject({
      ok: false,
      variable: 'WARREN_GITHUB_API_URL',
    });
    expect(parseGitHubConfig({ ...full(key.pkcs8), WARREN_GITHUB_GIT_URL: 'git@github.com:' })).toMatchObject(
      {
        ok: false,
        variable: 'WARREN_GITHUB_GIT_URL',
      },
    );
  });

  it('clones from github.com unless told another git host, without a trailing slash', () => {
    expect(parseGitHubConfig(full(key.pkcs8))).toMatchObject({
      ok: true,
      config: { gitBaseUrl: 'https://github.com' },
    });
    expect(
      parseGitHubConfig({ ...full(key.pkcs8), WARREN_GITHUB_GIT_URL: 'https://git.example.com/' }),
    ).toMatchObject({ ok: true, config: { gitBaseUrl: 'https://git.example.com' } });
  });
});
