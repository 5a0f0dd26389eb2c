// The workspace terminal in Chromium against real processes (a control plane, a node that allows path-mode apps):
// "Open app" leaves the terminal and the chat working — an app cookie the browser attaches to the terminal's and
// the agent's sockets never beats their explicit `?token=` — and a reload keeps each tab's shell and its screen.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { eventually, FIXTURE_AGENT, screenLines } from '../node/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';
import {
  type ControlProc,
  createRunningWorkspace,
  httpToken,
  type NodeProc,
  startControlProcess,
  startNodeProcess,
  stopProcess,
  TEST_MESH_ENV,
} from './mesh-harness.ts';
import { capture, launchUiBrowser, type UiBrowser } from './testing/index.ts';

let control: ControlProc;
let node: NodeProc;
let client: ReturnType<typeof createControlClient>;
let ui: UiBrowser;
let context: BrowserContext;
let page: Page;
let workspaceId: string;

beforeAll(async () => {
  [control, ui] = await Promise.all([startControlProcess({ env: TEST_MESH_ENV }), launchUiBrowser()]);
  client = createControlClient(control.url, { token: control.adminToken });
  const jt = await client.POST('/api/v1/join-tokens', { body: {} });
  // Path-mode apps allowed: their cookie (Path=/w/{id}/ on the node's own host) then rides along on the
  // terminal's and the agent's sockets, which live under the same path.
  node = await startNodeProcess({
    controlUrl: control.url,
    joinToken: jt.data!.token,
    name: 'host',
    env: { ...TEST_MESH_ENV, WARREN_ALLOW_PATH_APPS: '1' },
  });
  ({ context, page } = await ui.page());
  workspaceId = await createRunningWorkspace(client, 'shells', node.nodeId, {
    agentCommand: `${process.execPath} ${FIXTURE_AGENT}`,
  });
  await page.goto(readFileSync(join(control.dataDir, 'login-link.txt'), 'utf8').trim());
  await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
}, 90_000);
afterAll(async () => {
  await context?.close();
  await ui?.close();
  await stopProcess(node);
  await stopProcess(control);
  for (const p of [node, control]) if (p) rmSync(p.dataDir, { recursive: true, force: true });
});

/** The rows of the terminal tab shown now, as a screen shows them. */
const rows = async () =>
  screenLines(
    (await page.locator('[data-terminal-state]:not([hidden]) .xterm-rows > div').allTextContents()).join(
      '\n',
    ),
  );

/** Waits until the shown tab is attached and its shell has printed a prompt. */
async function shellReady(): Promise<void> {
  await page
    .locator('[data-terminal-state]:not([hidden])')
    .getByText('Connected to the node')
    .waitFor({ timeout: 20_000 });
  await eventually(async () => (await rows()).some((r) => r.length > 0), 'the shell prompt', 10_000);
}

/** Types `command` and waits for a row matching `re` (its output, computed so the typed line cannot match). */
async function run(command: string, re: RegExp): Promise<string> {
  await page.keyboard.type(`${command}\n`);
  return eventually(async () => (await rows()).find((r) => re.test(r)), `${re} in the terminal`, 10_000);
}

/** The page's HTML, or '' while it is between two documents (a redirect). */
const pageText = (p: Page) => p.content().catch(() => '');

async function openWorkspace(): Promise<void> {
  await page.goto(`${control.url}/workspaces/${workspaceId}`);
  await page.locator('.head-status').getByText('Running').waitFor({ timeout: 30_000 });
}

describe('Workspace terminal in the browser', () => {
  it('keeps the terminal and the chat working after "Open app" set the app cookie', async () => {
    await capture(page, 'terminal-after-open-app', async () => {
      await openWorkspace();
      const [app] = await Promise.all([
        context.waitForEvent('page'),
        page.getByRole('button', { name: 'Open app' }).click(),
      ]);
      await eventually(async () => (await pageText(app)).includes('"path"'), 'the app page', 15_000);
      // The same app in path mode, as a path-mode link opens it: its http-scope cookie now sits on the node's
      // host under /w/{id}/, where the terminal's and the agent's sockets live.
      const token = await httpToken(client, workspaceId);
      await app.goto(`${node.url}/w/${workspaceId}/_auth?token=${token}`);
      await eventually(async () => (await pageText(app)).includes('"path"'), 'the app in path mode', 15_000);
      const cookies = await context.cookies(`${node.url}/w/${workspaceId}/_terminal`);
      expect(cookies.map((c) => c.name)).toContain('warren_token');
      await app.close();

      await openWorkspace();
      await shellReady();
      await run('echo after-app-$((40+2))', /^after-app-42$/);
      await page.getByText('Agent ready', { exact: true }).waitFor({ timeout: 20_000 });
      await page.getByLabel('Message to the agent').fill('hello after the app');
      await page.getByRole('button', { name: 'Send' }).click();
      await eventually(
        async () =>
          (await page.locator('.bubble.agent-reply').allTextContents()).some((t) =>
            t.includes('echo: hello after the app'),
          ),
        'the agent reply',
        15_000,
      );
    });
  }, 90_000);

  it('keeps each tab’s shell and screen across a reload, and closing a tab ends its shell', async () => {
    await capture(page, 'terminal-reload', async () => {
      await openWorkspace();
      await shellReady();
      // A shell variable with a random value: only the same shell can print it again later.
      const first = await run('T=first-$RANDOM$RANDOM; echo "$T"', /^first-\d+$/);
      await run('echo marker-$((6*7))', /^marker-42$/);

      await page.getByRole('button', { name: 'New terminal' }).click();
      await expect(page.getByRole('tab', { name: 'Shell 2' }).getAttribute('aria-selected')).resolves.toBe(
        'true',
      );
      await shellReady();
      const second = await run('T=second-$RANDOM$RANDOM; echo "$T"', /^second-\d+$/);
      expect(await run('echo "has-$' + '{T%%-*}"', /^has-\w+$/)).toBe('has-second');

      await page.reload();
      await page.locator('.head-status').getByText('Running').waitFor({ timeout: 30_000 });
      // Both tabs came back, the second still shown, on the same shell with its screen replayed.
      await expect(page.getByRole('tab', { name: 'Shell 2' }).getAttribute('aria-selected')).resolves.toBe(
        'true',
      );
      await shellReady();
      await eventually(
        async () => (await rows()).includes(second),
        'the second tab’s screen replayed',
        10_000,
      );
      expect(await run('echo "again-$T"', /^again-second-\d+$/)).toBe(`again-${second}`);

      await page.getByRole('tab', { name: 'Shell 1' }).click();
      await shellReady();
      const screen = await rows();
      expect(screen).toContain(first);
      expect(screen).toContain('marker-42');
      expect(await run('echo "still-$T"', /^still-first-\d+$/)).toBe(`still-${first}`);

      // Closing Shell 2 ends its session on the node; Shell 1 stays.
      const listed = async () => {
        const t = await client.POST('/api/v1/workspaces/{id}/tokens', {
          params: { path: { id: workspaceId } },
          body: { scopes: ['terminal'] },
        });
        const res = await fetch(`${node.url}/w/${workspaceId}/_terminal/sessions`, {
          headers: { authorization: `Bearer ${t.data!.token}` },
        });
        return ((await res.json()) as { items: { id: string }[] }).items.length;
      };
      const before = await listed();
      await page.getByRole('tab', { name: 'Shell 2' }).click();
      await page.getByRole('button', { name: 'Close Shell 2' }).click();
      await page.getByRole('tab', { name: 'Shell 2' }).waitFor({ state: 'detached' });
      await eventually(
        async () => (await listed()) === before - 1,
        'the closed tab’s session to end',
        10_000,
      );
    });
  }, 90_000);

  it('reconnects after a network blip, showing "Reconnecting…", to the same shell and screen', async () => {
    await capture(page, 'terminal-blip', async () => {
      // Every terminal socket of this page goes through a route, so the test can cut one as a network would
      // and hold the next one back while the page shows that it is reconnecting.
      const routes: WebSocketRoute[] = [];
      let hold: (() => void) | undefined;
      await page.routeWebSocket(/\/_terminal\?/, (ws) => {
        routes.push(ws);
        if (hold === undefined) ws.connectToServer();
        else hold = () => ws.connectToServer();
      });
      await openWorkspace();
      await shellReady();
      const mark = await run('T=blip-$RANDOM$RANDOM; echo "$T"', /^blip-\d+$/);
      hold = () => {};
      await routes.at(-1)!.close({ code: 3000, reason: 'network blip' });
      const pane = page.locator('[data-terminal-state]:not([hidden])');
      await pane.getByText('Reconnecting…').waitFor({ timeout: 10_000 });
      await eventually(() => routes.length >= 2, 'the page to try again', 10_000);
      const release = hold;
      hold = undefined;
      release();
      await pane.getByText('Connected to the node').waitFor({ timeout: 15_000 });
      await eventually(async () => (await rows()).includes(mark), 'the screen replayed', 10_000);
      expect(await run('echo "after-$T"', /^after-blip-\d+$/)).toBe(`after-${mark}`);
    });
  }, 90_000);

  it('creates a workspace with a terminal shell of its choosing from the form, and its terminal runs it', async () => {
    await capture(page, 'terminal-shell-setting', async () => {
      await page.goto(`${control.url}/workspaces`);
      await page.getByRole('button', { name: 'New workspace' }).first().click();
      await page.getByLabel('Name', { exact: true }).fill('plain-sh');
      await page.getByLabel('Project', { exact: true }).selectOption({ label: 'p-shells' });
      await page.getByLabel('Terminal shell').fill('sh');
      await page.getByRole('button', { name: 'Create workspace' }).click();
      const row = page.locator('[data-workspace="plain-sh"]');
      await row.getByText('Running').waitFor({ timeout: 30_000 });
      const created = (await client.GET('/api/v1/workspaces')).data!.items.find(
        (w) => w.name === 'plain-sh',
      )!;
      expect(created.shell).toBe('sh');
      await row.getByRole('link', { name: 'plain-sh' }).click();
      await page.locator('.head-status').getByText('Running').waitFor({ timeout: 30_000 });
      await shellReady();
      // sh, not bash: $0 names it and bash's own variable is unset.
      expect(await run('echo "SH-$0-$' + '{BASH_VERSION:-none}"', /^SH-/)).toBe('SH-sh-none');
    });
  }, 90_000);
});
