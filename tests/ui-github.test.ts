// GitHub sign-in in the browser against a control plane with a GitHub App (the FakeGitHub stands in for
// github.com, and for its authorize page the browser is answered as GitHub would): the button shows only when
// configured, a new user waits for approval, an admin approves them in Settings, then they are in.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Page } from 'playwright-core';
import {
  type GitHubWorld,
  startGitHubWorld,
  startTestControl,
  type TestControl,
  WORLD,
} from '../control/testing/index.ts';
import { launchUiBrowser, type UiBrowser } from './testing/index.ts';

let world: GitHubWorld;
let control: TestControl;
let plain: TestControl;
let ui: UiBrowser;

beforeAll(async () => {
  world = startGitHubWorld();
  [control, plain, ui] = await Promise.all([
    startTestControl({ github: world.config, config: { requireApproval: true } }),
    startTestControl(),
    launchUiBrowser(),
  ]);
});
afterAll(async () => {
  await ui?.close();
  await Promise.all([control?.stop(), plain?.stop()]);
  await world?.stop();
});

/**
 * GitHub's authorize page, approved by `githubUserId`. The control plane's real login answer (its redirect
 * and state cookie) is kept; only the hop through github.com is replaced by the code GitHub would send back.
 * (Playwright routes a navigation's first request only, so the login request is where this happens.)
 */
async function approveOnGitHub(page: Page, githubUserId: number) {
  await page.route(`${control.url}/api/v1/auth/github/login**`, async (route) => {
    const login = await route.fetch({ maxRedirects: 0 });
    const asked = new URL(login.headers().location!);
    expect(`${asked.origin}${asked.pathname}`).toBe(`${world.fake.url}/login/oauth/authorize`);
    const redirect = asked.searchParams.get('redirect_uri')!;
    const back = new URL(redirect);
    back.searchParams.set('code', world.fake.authorize(githubUserId, redirect));
    back.searchParams.set('state', asked.searchParams.get('state')!);
    await route.fulfill({
      status: 302,
      headers: { location: back.toString(), 'set-cookie': login.headers()['set-cookie']! },
    });
  });
}

describe('GitHub sign-in in the UI', () => {
  it('offers GitHub only where a GitHub App is configured', async () => {
    await ui.run('github-button', async (page) => {
      await page.goto(plain.url);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Sign-in link').waitFor();
      expect(await page.getByRole('link', { name: 'Sign in with GitHub' }).count()).toBe(0);
      await page.goto(control.url);
      await page.getByRole('link', { name: 'Sign in with GitHub' }).waitFor();
    });
  });

  it('signs a new user in with GitHub once an admin approved them', async () => {
    await ui.run('github-approval', async (page) => {
      await approveOnGitHub(page, WORLD.alice);
      await page.goto(control.url);
      await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
      await page.getByText('An admin must approve your account').waitFor();
      expect(new URL(page.url()).searchParams.get('signin')).toBe('pending_approval');

      const admin = await ui.page();
      try {
        const me = (await control.client.GET('/api/v1/auth/me')).data!;
        await admin.page.goto(await control.deps.credentials.loginLink(me.id, control.url));
        await admin.page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
        await admin.page.goto(`${control.url}/settings`);
        const row = admin.page.locator('tr', { has: admin.page.getByRole('cell', { name: 'alice' }) });
        await row.getByRole('button', { name: /Approve/ }).click();
        await row.getByRole('cell', { name: 'active' }).waitFor();
      } finally {
        await admin.context.close();
      }

      await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
      await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
      await page.goto(`${control.url}/settings`);
      await page.getByRole('heading', { name: 'Account' }).waitFor();
      expect(await page.locator('.facts').first().textContent()).toContain('alice');
    });
  }, 30_000);
});
