// One origin per workspace app, in Chromium on `warren up`: "Open app" lands on ws-{id}.localhost:PORT, and a
// page served by another workspace — or by anything else on A's host name — cannot read A's app, open its
// WebSocket or its terminal with A's owner's cookie.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { BrowserContext, Page } from 'playwright-core';
import { eventually } from '../control/testing/index.ts';
import { createControlClient } from '../openapi/client/index.ts';
import { type ProbeResult, probePage } from './fixtures/origin-app.ts';
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
let admin: ReturnType<typeof createControlClient>;

beforeAll(async () => {
  [warren, ui] = await Promise.all([startWarrenUp(1), launchUiBrowser()]);
  ({ context, page } = await ui.page());
  admin = createControlClient(warren.controlUrl, { token: warren.adminToken });
}, 60_000);
afterAll(async () => {
  await context?.close();
  await ui?.close();
  await warren?.stop();
});

/** Creates a running workspace with the probing app, through the API. */
async function probingWorkspace(name: string, projectId: string): Promise<string> {
  const ws = await admin.POST('/api/v1/workspaces', { body: { name, projectId, appCommand: ORIGIN_APP } });
  if (!ws.data) throw new Error(`workspace refused: ${JSON.stringify(ws.error)}`);
  const id = ws.data.id;
  await untilWorkspaceStatus(admin, id, 'running', `${name} running`, 30_000);
  return id;
}

/** Clicks "Open app" on the workspace's page and returns the tab it opened, once the app answers there. */
async function openApp(id: string): Promise<Page> {
  await page.goto(`${warren.controlUrl}/workspaces/${id}`);
  await page.locator('.head-status').getByText('Running').waitFor({ timeout: 30_000 });
  const [app] = await Promise.all([
    context.waitForEvent('page'),
    page.getByRole('button', { name: 'Open app' }).click(),
  ]);
  await app.getByRole('heading', { name: `app ${id}` }).waitFor({ timeout: 15_000 });
  return app;
}

/** Loads `url` (a probing page) and waits for what its script found. */
async function probe(on: Page, url: string): Promise<ProbeResult> {
  await on.goto(url);
  const result = on.locator('#result');
  await eventually(async () => (await result.textContent())?.startsWith('{') ?? false, 'the probe', 20_000);
  return JSON.parse((await result.textContent())!) as ProbeResult;
}

describe('Workspace apps in the browser', () => {
  it('keeps each app on its own origin, out of reach of another workspace’s page', async () => {
    await capture(page, 'origin-apps', async () => {
      await page.goto(warren.loginLink);
      await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
      const project = await admin.POST('/api/v1/projects', { body: { name: 'origins' } });
      const [a, b] = await Promise.all([
        probingWorkspace('app-a', project.data!.id),
        probingWorkspace('app-b', project.data!.id),
      ]);
      const port = new URL(warren.nodes[0]!.url).port;
      const aOrigin = `http://ws-${a}.localhost:${port}`;
      const bOrigin = `http://ws-${b}.localhost:${port}`;

      // "Open app" exchanges the token on the app's own origin; the address bar keeps no token.
      const aTab = await openApp(a);
      expect(aTab.url()).toBe(`${aOrigin}/`);
      const bTab = await openApp(b);
      expect(bTab.url()).toBe(`${bOrigin}/`);

      // A's owner's cookie that could open A's terminal too, so what refuses the terminal below is where the
      // page comes from, not a missing scope.
      const t = await admin.POST('/api/v1/workspaces/{id}/tokens', {
        params: { path: { id: a } },
        body: { scopes: ['http', 'terminal'] },
      });
      await aTab.goto(`${aOrigin}/_auth?token=${encodeURIComponent(t.data!.token)}`);
      await aTab.getByRole('heading', { name: `app ${a}` }).waitFor();

      // On its own origin the cookie does all of it.
      expect(await probe(aTab, `${aOrigin}/?target=${aOrigin}/`)).toEqual({
        read: `200 secret of ${a}`,
        noCors: 'basic',
        socket: 'open',
        terminal: 'open',
      });

      // B's page, served by workspace B: the browser keeps A's response from it and the node A's sockets.
      const refused: ProbeResult = {
        read: 'blocked',
        noCors: 'opaque',
        socket: 'refused',
        terminal: 'refused',
      };
      expect(await probe(bTab, `${bOrigin}/?target=${aOrigin}/`)).toEqual(refused);

      // A page on A's host name but another port is the same site, so the browser does send A's cookie with
      // the handshakes: the node refuses them by their Origin.
      const other = Bun.serve({
        hostname: '127.0.0.1',
        port: 0,
        fetch: () => new Response(probePage('elsewhere'), { headers: { 'content-type': 'text/html' } }),
      });
      try {
        const elsewhere = await context.newPage();
        expect(await probe(elsewhere, `http://ws-${a}.localhost:${other.port}/?target=${aOrigin}/`)).toEqual(
          refused,
        );
        await elsewhere.close();
      } finally {
        other.stop(true);
      }
      await aTab.close();
      await bTab.close();
    });
  }, 120_000);
});
