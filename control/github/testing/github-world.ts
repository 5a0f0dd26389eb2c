// A ready-made GitHub world for tests: an App key, the fake server seeded with an org, repos, users, and the App.
import type { GitHubConfig } from '../app-config.ts';
import { createGitHubApp, type GitHubApp } from '../github-client.ts';
import { generateAppKey } from './app-key.ts';
import { FakeGitHub } from './fake-github.ts';

/** Ids of the seeded world, so tests read as sentences. */
export const WORLD = {
  org: { id: 500, login: 'acme', type: 'Organization' as const },
  installationId: 77,
  repos: { app: 1001, lib: 1002, tools: 1003, secret: 1004, ext: 1005 },
  alice: 42,
  bob: 43,
};

const GITMODULES = `[submodule "lib"]
\tpath = lib
\turl = ../lib.git
[submodule "tools"]
\tpath = tools
\turl = https://github.com/acme/tools.git
[submodule "ext"]
\tpath = ext
\turl = git@github.com:other/ext.git
`;

/** The world's installation (77 on acme) as Warren records it after the App's setup redirect or a webhook. */
export const WORLD_INSTALLATION = {
  id: WORLD.installationId,
  accountId: WORLD.org.id,
  accountLogin: WORLD.org.login,
  accountType: 'Organization' as const,
  suspended: false,
};

export interface GitHubWorld {
  fake: FakeGitHub;
  config: GitHubConfig;
  app: GitHubApp;
  stop(): Promise<void>;
}

/**
 * Starts the fake GitHub with: org acme; acme/app (primary, with a .gitmodules), acme/lib (private),
 * acme/tools (public, not in the installation), acme/secret (private, alice cannot see it), other/ext;
 * installation 77 on acme covering app, lib and secret; alice (member, verified primary email) and bob
 * (unverified primary email). The App's key is a fresh RSA key, given to Warren as PKCS#1 as GitHub does.
 */
export function startGitHubWorld(options: { installationTokenTtlMs?: number } = {}): GitHubWorld {
  const key = generateAppKey();
  const config: GitHubConfig = {
    appId: 9001,
    privateKey: key.pkcs8,
    clientId: 'Iv1.fakeclient',
    clientSecret: 'fake-client-secret',
    webhookSecret: 'fake-webhook-secret',
    apiBaseUrl: '',
    appSlug: 'warren-test',
    // Nothing is cloned from github.com in a test; a test that serves repositories sets its git server here.
    gitBaseUrl: 'https://github.com',
  };
  const fake = new FakeGitHub({
    appId: config.appId,
    appPrivateKey: key.pkcs1,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    ...(options.installationTokenTtlMs ? { installationTokenTtlMs: options.installationTokenTtlMs } : {}),
  });
  config.apiBaseUrl = fake.url;
  const org = WORLD.org;
  const other = { id: 600, login: 'other', type: 'Organization' as const };
  fake.addRepo({
    id: WORLD.repos.app,
    owner: org,
    name: 'app',
    private: true,
    files: { '.gitmodules': GITMODULES },
  });
  fake.addRepo({ id: WORLD.repos.lib, owner: org, name: 'lib', private: true });
  fake.addRepo({ id: WORLD.repos.tools, owner: org, name: 'tools', private: false });
  fake.addRepo({ id: WORLD.repos.secret, owner: org, name: 'secret', private: true });
  fake.addRepo({ id: WORLD.repos.ext, owner: other, name: 'ext', private: true });
  fake.addInstallation({
    id: WORLD.installationId,
    account: org,
    repoIds: [WORLD.repos.app, WORLD.repos.lib, WORLD.repos.secret],
  });
  fake.addUser({
    id: WORLD.alice,
    login: 'alice',
    name: 'Alice',
    emails: [
      { email: 'alice@old.example', primary: false, verified: true },
      { email: 'alice@acme.example', primary: true, verified: true },
    ],
    repoIds: [WORLD.repos.app, WORLD.repos.lib, WORLD.repos.tools],
    installationIds: [WORLD.installationId],
  });
  fake.addUser({
    id: WORLD.bob,
    login: 'bob',
    name: null,
    emails: [{ email: 'bob@acme.example', primary: true, verified: false }],
    repoIds: [],
    installationIds: [],
  });
  return { fake, config, app: createGitHubApp(config), stop: () => fake.stop() };
}
