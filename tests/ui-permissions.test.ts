// A person in the loop in Chromium, on a whole Warren from `warren up`: an agent's permission request shows on its
// task page and in its workspace's chat, stays there across a page reload, and the option clicked after the reload
// is exactly what the agent gets.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { BrowserContext, Page } from 'playwright-core';
import { eventually } from '../control/testing/index.ts';
import { FIXTURE_AGENT } from '../node/testing/index.ts';
import { type ControlClient, createControlClient } from '../openapi/client/index.ts';
import {
  capture,
  launchUiBrowser,
  startWarrenUp,
  type UiBrowser,
  untilWorkspaceStatus,
  type WarrenUp,
} from './testing/index.ts';

let warren: WarrenUp;
let ui: UiBrowser;
let context: BrowserContext;
let page: Page;
let admin: ControlClient;
let projectId: string;
let workspaceId: string;

const AGENT = `${process.execPath} ${FIXTURE_AGENT}`;
const PERMISSION_TEXT = (optionId: string) =>
  `permission {"outcome":{"outcome":"selected","optionId":"${optionId}"}}`;

beforeAll(async () => {
  [warren, ui] = await Promise.all([startWarrenUp(1), launchUiBrowser()]);
  ({ context, page } = await ui.page());
  admin = createControlClient(warren.controlUrl, { token: warren.adminToken });
  // The project's policy is the default: ask a person.
  projectId = (await admin.POST('/api/v1/projects', { body: { name: 'asks' } })).data!.id;
  const ws = await admin.POST('/api/v1/workspaces', {
    body: { name: 'asker', projectId, agentCommand: AGENT },
  });
  workspaceId = ws.data!.id;
  await untilWorkspaceStatus(admin, workspaceId, 'running', 'the workspace to run', 45_000);
  await page.goto(warren.loginLink);
  await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
}, 90_000);
afterAll(async () => {
  await context?.close();
  await ui?.close();
  await warren?.stop();
});

describe('Agent permission requests in the web UI', () => {
  it("are answered on the task's page after a reload, and the agent gets the option clicked", async () => {
    await capture(page, 'permissions-task-page', async () => {
      const task = (await admin.POST('/api/v1/tasks', { body: { projectId, prompt: '/permission' } })).data!;
      await page.goto(`${warren.controlUrl}/tasks/${task.id}`);
      const panel = page.getByRole('region', { name: 'Waiting for your answer' });
      await panel.getByText('write a file').waitFor({ timeout: 30_000 });
      // A reload (or another tab) finds the request still waiting.
      await page.reload();
      await panel.getByText('write a file').waitFor({ timeout: 15_000 });
      await panel.getByRole('button', { name: 'Reject' }).click();
      await page.locator('.head-status').getByText('Completed').waitFor({ timeout: 30_000 });
      await panel.waitFor({ state: 'detached' });
      const done = await admin.GET('/api/v1/tasks/{id}', { params: { path: { id: task.id } } });
      expect(done.data!.summary).toBe(PERMISSION_TEXT('no'));
      await page.getByText(PERMISSION_TEXT('no')).first().waitFor();
    });
  }, 90_000);

  it("are answered in the workspace's chat after a reload", async () => {
    await capture(page, 'permissions-chat', async () => {
      await page.goto(`${warren.controlUrl}/workspaces/${workspaceId}`);
      await page.getByText('Agent ready', { exact: true }).waitFor({ timeout: 20_000 });
      await page.getByLabel('Message to the agent').fill('/permission');
      await page.getByRole('button', { name: 'Send' }).click();
      const ask = page.getByRole('group', { name: /The agent asks to: write a file/ });
      await ask.waitFor({ timeout: 15_000 });
      await page.reload();
      await ask.waitFor({ timeout: 20_000 });
      await ask.getByRole('button', { name: 'Allow' }).click();
      const replies = page.locator('.bubble.agent-reply');
      await eventually(
        async () => (await replies.allTextContents()).some((t) => t.includes(PERMISSION_TEXT('yes'))),
        "the agent's reply with the answer",
        15_000,
      );
      await ask.waitFor({ state: 'detached' });
    });
  }, 60_000);
});
