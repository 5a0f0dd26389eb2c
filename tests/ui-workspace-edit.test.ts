// The workspace page in Chromium against `warren up`: a failing app shows its last log lines (status reason and
// the Logs tail), keeps a working terminal and offers Retry; editing restarts it with the new spec and refuses a
// taken name; the activity feed shows each event once and searches as you type.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { BrowserContext, Page } from 'playwright-core';
import { eventually } from '../control/testing/index.ts';
import { FIXTURE_AGENT } from '../node/testing/index.ts';
import { type ControlClient, createControlClient } from '../openapi/client/index.ts';
import { capture, launchUiBrowser, startWarrenUp, type UiBrowser, type WarrenUp } from './testing/index.ts';

let warren: WarrenUp;
let ui: UiBrowser;
let context: BrowserContext;
let page: Page;
let admin: ControlClient;
let projectId: string;

beforeAll(async () => {
  [warren, ui] = await Promise.all([startWarrenUp(1), launchUiBrowser()]);
  ({ context, page } = await ui.page());
  admin = createControlClient(warren.controlUrl, { token: warren.adminToken });
  projectId = (await admin.POST('/api/v1/projects', { body: { name: 'edits' } })).data!.id;
  await page.goto(warren.loginLink);
  await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
}, 60_000);
afterAll(async () => {
  await context?.close();
  await ui?.close();
  await warren?.stop();
});

/** node/agent's fixture ACP agent (echoes prompts, streamed), run with this bun: a real agent process. */
const AGENT = `${process.execPath} ${FIXTURE_AGENT}`;

/** An app that answers every request with a fixed line, on the port the node gives it. */
const APP = `bun -e "Bun.serve({ port: Number(process.env.PORT), fetch: () => new Response('fixed app') })"`;

/** An app that says what it does, then fails the way a missing tool does. */
const FAILING = `echo "booting the server"; echo "fatal: config.yml is missing" >&2; no-such-tool --serve`;

const create = async (name: string, body: { appCommand?: string; agentCommand?: string }) => {
  const r = await admin.POST('/api/v1/workspaces', { body: { name, projectId, ...body } });
  expect(r.response.status).toBe(200);
  return r.data!;
};

const openWorkspace = async (id: string) => {
  await page.goto(`${warren.controlUrl}/workspaces/${id}`);
  await page.locator('.head-status').waitFor();
};

describe('A failing workspace in the browser', () => {
  it('shows its last log lines in the error, keeps a terminal, and offers Retry', async () => {
    const w = await create('broken', { appCommand: FAILING });
    await capture(page, 'workspace-error-logs', async () => {
      await openWorkspace(w.id);
      // The node gives up after its restarts (5 by default, with backoff): then the reason quotes the output.
      await page.locator('.head-status').getByText('Error').waitFor({ timeout: 60_000 });
      const reason = page.locator('.status-reason');
      expect(await reason.textContent()).toContain('exited with code 127');
      const quoted = await page.locator('.status-output').textContent();
      expect(quoted).toContain('fatal: config.yml is missing');
      expect(quoted).toContain('no-such-tool');
      // The Logs tab tails the same output, stderr marked as such.
      await page.getByRole('tab', { name: 'Logs' }).click();
      const logs = page.getByRole('list', { name: 'Output, oldest first' });
      await logs
        .locator('[data-stream="stderr"]', { hasText: 'fatal: config.yml is missing' })
        .first()
        .waitFor();
      expect(
        await logs.locator('[data-stream="stdout"]', { hasText: 'booting the server' }).count(),
      ).toBeGreaterThan(0);
      // A workspace in error keeps a working shell for looking into why.
      await page.getByRole('tab', { name: 'Terminal' }).click();
      await page.getByText('Connected to the node').waitFor({ timeout: 15_000 });
      const rows = page.locator('.xterm-rows > div');
      await eventually(
        async () => (await rows.allTextContents()).some((r) => r.trim().length > 0),
        'a prompt',
        10_000,
      );
      await page.locator('.terminal-host').click();
      await page.keyboard.type('echo still-here\n');
      await eventually(
        async () => (await rows.allTextContents()).some((r) => r.trim() === 'still-here'),
        'the shell to answer',
        10_000,
      );
      // Retry starts it afresh: the status leaves Error and the activity says so.
      await page.getByRole('button', { name: 'Retry broken' }).click();
      await page.locator('.feed-item', { hasText: 'retry requested' }).first().waitFor({ timeout: 15_000 });
      await page.locator('.head-status').getByText('Starting').waitFor({ timeout: 15_000 });
      // It fails again the same way; a page opened on a failed workspace starts on its Logs tab: they say why.
      await page.locator('.head-status').getByText('Error').waitFor({ timeout: 60_000 });
      await page.reload();
      await page.getByRole('tab', { name: 'Logs', selected: true }).waitFor();
      await logs
        .locator('[data-stream="stderr"]', { hasText: 'fatal: config.yml is missing' })
        .first()
        .waitFor();
    });
  }, 120_000);
});

describe('Editing a workspace in the browser', () => {
  it('restarts it with the new app command, and refuses a name already taken in the project', async () => {
    const w = await create('fixable', { appCommand: FAILING });
    await create('taken', {});
    await capture(page, 'workspace-edit', async () => {
      await openWorkspace(w.id);
      await page.getByRole('button', { name: 'Edit', exact: true }).click();
      await page.getByRole('heading', { name: 'Edit fixable' }).waitFor();
      // The form is the create form, filled in with what the workspace has.
      expect(await page.getByLabel('App command').inputValue()).toBe(FAILING);
      await page.getByLabel('Name', { exact: true }).fill('taken');
      await page.getByRole('button', { name: 'Save changes' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('already exists');
      await page.getByLabel('Name', { exact: true }).fill('fixable');
      await page.getByLabel('App command').fill(APP);
      await page.getByLabel('Environment').fill('GREETING=hello');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByRole('heading', { name: 'Edit fixable' }).waitFor({ state: 'detached' });
      await page.locator('.head-status').getByText('Running').waitFor({ timeout: 45_000 });
      await page.locator('.facts').getByText(APP).waitFor();
      await page.locator('.feed-item', { hasText: 'changed app command, environment' }).first().waitFor();
    });
    const got = (await admin.GET('/api/v1/workspaces/{id}', { params: { path: { id: w.id } } })).data!;
    expect(got).toMatchObject({
      name: 'fixable',
      appCommand: APP,
      envNames: ['GREETING'],
      status: 'running',
    });
  }, 120_000);
});

describe('The activity feed in the browser', () => {
  it('shows each live event once and searches as you type', async () => {
    const w = await create('chatty', { agentCommand: AGENT });
    await capture(page, 'workspace-activity', async () => {
      await openWorkspace(w.id);
      await page.locator('.head-status').getByText('Running').waitFor({ timeout: 45_000 });
      await page.getByText('Agent ready', { exact: true }).waitFor({ timeout: 20_000 });
      // Turns make bursts of live signals (each agent step, and the workspace moving) while the page is open.
      for (const text of ['first question', 'second question', 'third question']) {
        await page.getByLabel('Message to the agent').fill(text);
        await page.getByRole('button', { name: 'Send' }).click();
        await page
          .locator('.bubble.agent-reply', { hasText: `echo: ${text}` })
          .first()
          .waitFor({ timeout: 15_000 });
      }
      const items = page.locator('.feed-item');
      await eventually(
        async () => (await items.filter({ hasText: 'turn ended' }).count()) >= 3,
        'three ended turns in the feed',
        15_000,
      );
      // The page's feed holds what the API holds, each event once.
      const ids = await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
      expect(ids.length).toBeGreaterThan(3);
      expect(new Set(ids).size).toBe(ids.length);
      const api = (
        await admin.GET('/api/v1/workspaces/{id}/activity', { params: { path: { id: w.id }, query: {} } })
      ).data!.items.map((a) => a.id);
      expect(ids).toEqual(api.slice(0, ids.length));

      // Typing searches without pressing Enter.
      await page.getByLabel('Search activity').pressSequentially('second', { delay: 30 });
      await eventually(
        async () => {
          const texts = await items.allTextContents();
          return texts.length > 0 && texts.every((t) => t.includes('second'));
        },
        'only events about the second question',
        10_000,
      );
      await page.getByLabel('Search activity').fill('');
      await eventually(async () => (await items.count()) === ids.length, 'the whole feed again', 10_000);
    });
  }, 120_000);
});
