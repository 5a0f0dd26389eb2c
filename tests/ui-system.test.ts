// The web UI against a whole Warren from `warren up` on a temp data dir, in Chromium: sign in with the printed
// admin link, a workspace becomes running, its terminal answers `echo hi`, its app opens through the node's
// proxy, it stops and is deleted; API tokens are created and revoked; a failed action shows its error.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { BrowserContext, Page } from 'playwright-core';
import { eventually } from '../control/testing/index.ts';
import { FIXTURE_AGENT } from '../node/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';
import { capture, launchUiBrowser, startWarrenUp, type UiBrowser, type WarrenUp } from './testing/index.ts';

let warren: WarrenUp;
let ui: UiBrowser;
// One signed-in page for the file: the printed link works once, like a person's first sign-in.
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  [warren, ui] = await Promise.all([startWarrenUp(1), launchUiBrowser()]);
  ({ context, page } = await ui.page());
}, 60_000);
afterAll(async () => {
  await context?.close();
  await ui?.close();
  await warren?.stop();
});

/** node/agent's fixture ACP agent (echoes prompts, streamed), run with this bun: a real agent process. */
const AGENT = `${process.execPath} ${FIXTURE_AGENT}`;

/** An app that answers every request with a fixed line, on the port the node gives it. */
const APP = `bun -e "Bun.serve({ port: Number(process.env.PORT), fetch: () => new Response('hello from the app') })"`;

describe('Web UI on warren up', () => {
  it('signs in with the admin link warren up printed', async () => {
    await capture(page, 'system-sign-in', async () => {
      await page.goto(warren.controlUrl);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.goto(warren.loginLink);
      await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
      await page.getByRole('heading', { name: 'No workspaces yet' }).waitFor();
    });
  });

  it('runs a workspace: running, terminal echo, app through the proxy, stop, delete', async () => {
    await capture(page, 'system-workspace', async () => {
      await page.getByRole('button', { name: 'Create your first workspace' }).click();
      await page.getByLabel('Name', { exact: true }).fill('hello');
      await page.getByLabel('Project', { exact: true }).selectOption({ label: 'New project…' });
      await page.getByLabel('New project name').fill('demo');
      await page.getByLabel('App command').fill(APP);
      await page.getByRole('button', { name: 'Create workspace' }).click();
      const row = page.locator('[data-workspace="hello"]');
      await row.getByText('Running').waitFor({ timeout: 30_000 });
      // Placed on the node warren up started, and the row names it.
      const admin = createControlClient(warren.controlUrl, { token: warren.adminToken });
      const placed = (await admin.GET('/api/v1/workspaces')).data!.items.find((x) => x.name === 'hello')!;
      expect(warren.nodes.map((n) => n.id)).toContain(placed.nodeId!);
      const node = (await admin.GET('/api/v1/nodes/{id}', { params: { path: { id: placed.nodeId! } } }))
        .data!;
      expect(await row.getByText(`on ${node.name}`).count()).toBe(1);

      await row.getByRole('link', { name: 'hello' }).click();
      // The status can step back to `starting` for up to a heartbeat (a report older than the push landing
      // after it); the terminal opens once it runs.
      await page.locator('.head-status').getByText('Running').waitFor({ timeout: 30_000 });
      await page.getByText('Connected to the node').waitFor({ timeout: 15_000 });
      const rows = page.locator('.xterm-rows > div');
      // Type once the shell has printed its prompt: typed ahead, the output lands on the prompt's row (`$ hi`).
      await eventually(
        async () => (await rows.allTextContents()).some((r) => r.trim().length > 0),
        'the shell prompt',
        10_000,
      );
      await page.keyboard.type('echo hi\n');
      // A row that is exactly `hi`: the shell's output, not the echoed command line.
      await eventually(
        async () => (await rows.allTextContents()).some((r) => r.trim() === 'hi'),
        '`hi` in the terminal',
        10_000,
      );

      const [app] = await Promise.all([
        context.waitForEvent('page'),
        page.getByRole('button', { name: 'Open app' }).click(),
      ]);
      await eventually(
        async () => (await app.content()).includes('hello from the app'),
        'the app page',
        15_000,
      );
      // On the app's own origin, ws-{id}.localhost with the node's port.
      const port = new URL(warren.nodes[0]!.url).port;
      expect(app.url()).toBe(`http://ws-${placed.id}.localhost:${port}/`);
      // The token went into an HttpOnly cookie; the address bar no longer holds it.
      expect(app.url()).not.toContain('token=');
      await app.close();

      // Revoking the workspace's tokens ends the open terminal at once, and the page says why.
      const revoked = await admin.POST('/api/v1/revocations', {
        body: { subject: `workspace:${placed.id}` },
      });
      expect(revoked.response.status).toBeLessThan(300);
      await page.getByText('Your access to this terminal was revoked').waitFor({ timeout: 15_000 });

      await page.getByRole('button', { name: 'Stop hello' }).click();
      await page.locator('.head-status').getByText('Stopped').waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Delete hello' }).click();
      await page.getByRole('button', { name: 'Delete workspace' }).click();
      await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
      await row.waitFor({ state: 'detached', timeout: 30_000 });
    });
  }, 120_000);

  it('chats with a workspace agent, then hands it a task that completes, with the activity to show', async () => {
    await capture(page, 'system-agent-task', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workspaces' }).click();
      await page
        .getByRole('button', { name: /New workspace|Create your first workspace/ })
        .first()
        .click();
      await page.getByLabel('Name', { exact: true }).fill('helper');
      await page.getByLabel('Agent command').fill(AGENT);
      await page.getByRole('button', { name: 'Create workspace' }).click();
      const row = page.locator('[data-workspace="helper"]');
      await row.getByText('Running').waitFor({ timeout: 30_000 });
      await row.getByRole('link', { name: 'helper' }).click();
      await page.locator('.head-status').getByText('Running').waitFor({ timeout: 30_000 });
      await page.getByText('Agent ready', { exact: true }).waitFor({ timeout: 20_000 });
      await page.getByLabel('Message to the agent').fill('hello agent');
      await page.getByRole('button', { name: 'Send' }).click();
      const replies = page.locator('.bubble.agent-reply');
      await eventually(
        async () => (await replies.allTextContents()).some((t) => t.includes('echo: hello agent')),
        'the streamed reply',
        15_000,
      );
      // The activity feed follows without a reload: the agent's turn is logged there too.
      await page.locator('.feed-item').filter({ hasText: 'turn ended' }).first().waitFor({ timeout: 15_000 });
      // A new page replays the transcript from the node, once: no reply doubled.
      await page.reload();
      await page.getByText('Agent ready', { exact: true }).waitFor({ timeout: 20_000 });
      await replies.filter({ hasText: 'echo: hello agent' }).first().waitFor();
      expect(await replies.filter({ hasText: 'echo: hello agent' }).count()).toBe(1);

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tasks' }).click();
      await page.getByLabel('What should the agent do?').fill('write the docs');
      await page.getByRole('button', { name: 'Submit task' }).click();
      await page.locator('.head-status').getByText('Completed').waitFor({ timeout: 60_000 });
      expect(await page.getByText('echo: write the docs').count()).toBeGreaterThan(0);
      await page.getByRole('link', { name: 'Follow the agent live' }).click();
      const feed = page.locator('.feed-item');
      await feed.filter({ hasText: 'completed' }).first().waitFor({ timeout: 15_000 });
      expect((await feed.allTextContents()).some((t) => t.includes('write the docs'))).toBe(true);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tasks' }).click();
      await page.locator('.task-row').filter({ hasText: 'write the docs' }).getByText('Completed').waitFor();
    });
  }, 120_000);

  it('creates an API token, shown once, that works, and revokes it', async () => {
    await capture(page, 'system-api-token', async () => {
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('Token name').fill('cli on laptop');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = await page.getByLabel('New API token').inputValue();
      const client = createControlClient(warren.controlUrl, { token: secret });
      expect((await client.GET('/api/v1/auth/me')).response.status).toBe(200);
      await page.getByRole('button', { name: 'Revoke cli on laptop' }).click();
      await page.getByRole('button', { name: 'Revoke token' }).click();
      await page.locator('[data-token="cli on laptop"]').waitFor({ state: 'detached' });
      expect((await client.GET('/api/v1/auth/me')).response.status).toBe(401);
    });
  });

  it('shows a failed action’s error in words a person can act on, and keeps the form', async () => {
    await capture(page, 'system-failed-action', async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workspaces' }).click();
      await page.getByRole('button', { name: 'New workspace' }).click();
      await page.getByLabel('Name', { exact: true }).fill('bad/name');
      await page.getByRole('button', { name: 'Create workspace' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('Please fix: name: may hold letters, digits');
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('bad/name');
    });
  });
});
