// App links that keep working, in Chromium on `warren up`: an app page loaded without a valid app cookie (never
// set, expired, no longer valid) goes through the control plane for a fresh one and lands on the page it asked
// for — never on a JSON 401 — and a spent sign-in link shows a page that says what to do.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { eventually } from '../control/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';
import {
  capture,
  launchUiBrowser,
  ORIGIN_APP,
  startWarrenUp,
  type UiBrowser,
  untilWorkspaceStatus,
  type WarrenUp,
} from './testing/index.ts';

let warren: WarrenUp;
let ui: UiBrowser;
let context: BrowserContext;
let page: Page;
let workspaceId = '';
let appOrigin = '';

beforeAll(async () => {
  [warren, ui] = await Promise.all([startWarrenUp(1), launchUiBrowser()]);
  ({ context, page } = await ui.page());
  const admin = createControlClient(warren.controlUrl, { token: warren.adminToken });
  const project = await admin.POST('/api/v1/projects', { body: { name: 'links' } });
  const ws = await admin.POST('/api/v1/workspaces', {
    body: { name: 'linked', projectId: project.data!.id, appCommand: ORIGIN_APP },
  });
  workspaceId = ws.data!.id;
  await untilWorkspaceStatus(admin, workspaceId, 'running', 'the workspace running', 30_000);
  appOrigin = `http://ws-${workspaceId}.localhost:${new URL(warren.nodes[0]!.url).port}`;
}, 90_000);
afterAll(async () => {
  await context?.close();
  await ui?.close();
  await warren?.stop();
});

/** Every document (page load) response the browser got while `body` ran. */
async function documents(
  body: () => Promise<void>,
): Promise<{ url: string; status: number; type: string }[]> {
  const seen: { url: string; status: number; type: string }[] = [];
  const onResponse = (r: Response) => {
    if (r.request().resourceType() === 'document')
      seen.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] ?? '' });
  };
  page.on('response', onResponse);
  try {
    await body();
  } finally {
    page.off('response', onResponse);
  }
  return seen;
}

const appCookie = async () => (await context.cookies(appOrigin)).find((c) => c.name === 'warren_token');

/** Loads a deep page of the app and expects to land there, through a fresh cookie, without any JSON page. */
async function landsOnTheApp(): Promise<void> {
  const target = `${appOrigin}/deep/page?q=1`;
  const seen = await documents(async () => {
    await page.goto(target);
    await page.getByRole('heading', { name: `app ${workspaceId}` }).waitFor({ timeout: 15_000 });
  });
  expect(page.url()).toBe(target);
  // It went through the control plane's app link and the app's cookie exchange, and no page was a JSON error.
  expect(
    seen.some((d) => d.url.startsWith(`${warren.controlUrl}/api/v1/workspaces/${workspaceId}/app`)),
  ).toBe(true);
  expect(seen.some((d) => d.url.startsWith(`${appOrigin}/_auth`))).toBe(true);
  for (const d of seen) {
    expect(d.type).not.toContain('application/json');
    expect(d.status).not.toBe(401);
  }
  expect((await appCookie())?.value).toBeTruthy();
}

describe('App links in the browser', () => {
  it('get a fresh app cookie through the control plane when theirs is missing, expired or no longer valid', async () => {
    await capture(page, 'app-links-fresh-cookie', async () => {
      await page.goto(warren.loginLink);
      await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();

      // No app cookie yet: a link to a deep page of the app straight from elsewhere.
      expect(await appCookie()).toBeUndefined();
      await landsOnTheApp();
      const first = (await appCookie())!.value;

      // Expired: the browser drops a cookie whose Max-Age has passed, so the next page load carries none.
      await context.clearCookies({ name: 'warren_token' });
      await landsOnTheApp();
      const second = (await appCookie())!.value;
      expect(second).not.toBe(first);

      // Still sent but no longer valid (the node refuses it, as it refuses an expired token).
      const [head, claims] = second.split('.');
      await context.addCookies([
        {
          name: 'warren_token',
          value: `${head}.${claims}.AAAA`,
          url: appOrigin,
          httpOnly: true,
          sameSite: 'Lax',
        },
      ]);
      await landsOnTheApp();
      expect((await appCookie())!.value).not.toBe(`${head}.${claims}.AAAA`);
    });
  }, 90_000);

  it('shows an app that is not running as a page that reloads itself until the app answers', async () => {
    await capture(page, 'app-links-not-running', async () => {
      const admin = createControlClient(warren.controlUrl, { token: warren.adminToken });
      const path = { params: { path: { id: workspaceId } } };
      const status = async () => (await admin.GET('/api/v1/workspaces/{id}', path)).data?.status;
      await admin.POST('/api/v1/workspaces/{id}/stop', path);
      await eventually(async () => (await status()) === 'stopped', 'the workspace stopped', 30_000);
      // Signed in (the first test's session), with a valid app cookie: the app is just not there.
      await page.goto(`${appOrigin}/`);
      await page.getByRole('heading', { name: 'The app is not ready' }).waitFor({ timeout: 15_000 });
      await admin.POST('/api/v1/workspaces/{id}/start', path);
      // No click: the page reloads itself after Retry-After and lands on the app once it answers.
      await page.getByRole('heading', { name: `app ${workspaceId}` }).waitFor({ timeout: 45_000 });
      expect(page.url()).toBe(`${appOrigin}/`);
    });
  }, 90_000);

  it('shows a page that says what to do for a spent sign-in link, and for an app link without a session', async () => {
    await capture(page, 'app-links-spent', async () => {
      // The link was used by the test above.
      await page.goto(warren.loginLink);
      await page.getByRole('heading', { name: 'This sign-in link no longer works' }).waitFor();
      expect(await page.textContent('body')).toContain('ask an admin for a new link');

      // Signed out (no Warren session) with an expired app cookie: a page that says to sign in, no JSON.
      await context.clearCookies();
      const seen = await documents(async () => {
        await page.goto(`${appOrigin}/deep/page`);
        await page.getByRole('heading', { name: 'Sign in to Warren to open this app' }).waitFor();
      });
      for (const d of seen) expect(d.type).not.toContain('application/json');
      await page.getByRole('link', { name: 'Sign in to Warren' }).click();
      await page.waitForURL(`${warren.controlUrl}/**`);
    });
  }, 60_000);
});
