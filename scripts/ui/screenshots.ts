// `bun run ui:screenshots`: the README's screenshots of the main pages, desktop (1280) and phone (390) wide,
// taken in Chromium against a control plane seeded with projects, nodes and workspaces in varied states.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import {
  createTestNodeKey,
  FakeClock,
  startPushRecorder,
  startTestControl,
  type TestControl,
} from '../../control/testing/index.ts';
import { startTestNode, type TestNode } from '../../node/testing/index.ts';
import { DESKTOP, launchUiBrowser, PHONE } from '../../tests/testing/index.ts';

const OUT = resolve(import.meta.dir, '../../docs/screenshots');

interface Seeded {
  runningId: string;
  studio: TestNode;
}

/** A little app for the running workspace, on the port the node gives it. */
/** node/agent's fixture ACP agent (echoes prompts, streamed), so the chat and tasks have someone to talk to. */
const AGENT = `${process.execPath} ${join(import.meta.dir, '../../node/agent/testing/fixture-agent.ts')}`;

const APP = `bun -e "Bun.serve({ port: Number(process.env.PORT), fetch: () => new Response('storefront') })"`;

async function seed(control: TestControl, clock: FakeClock, pushUrl: string): Promise<Seeded> {
  const c = control.client;
  const project = async (name: string, description: string) =>
    (await c.POST('/api/v1/projects', { body: { name, description } })).data!.id;
  const join = async (name: string, laptop: boolean, capacity: number, labels: Record<string, string>) => {
    const jt = await c.POST('/api/v1/join-tokens', { body: { laptop } });
    const key = await createTestNodeKey();
    const j = await control.clientWith().POST('/api/v1/nodes/join', {
      body: {
        joinToken: jt.data!.token,
        name,
        publicKey: key.publicKey,
        address: pushUrl,
        capacity: { workspaces: capacity },
        labels,
        version: '0.1.0',
      },
    });
    return j.data!;
  };
  const web = await project('web-app', 'The storefront');
  const api = await project('api', 'Backend services');
  // The laptop joins first and then goes quiet long enough to be awaiting its agent.
  const laptop = await join('ada-laptop', true, 2, { owner: 'ada' });
  clock.advance(Date.now() - clock.now());
  // studio is a real node (its terminal and app work); the others are joined by hand and report by heartbeat.
  const studioJoin = await c.POST('/api/v1/join-tokens', { body: { labels: { region: 'home' } } });
  const studio = await startTestNode({
    controlUrl: control.url,
    joinToken: studioJoin.data!.token,
    configure: (config) => {
      config.name = 'studio';
      config.capacity = 12;
    },
  });
  const rack = await join('rack-2', false, 24, { region: 'office' });
  const create = async (
    name: string,
    projectId: string,
    nodeId: string,
    appCommand?: string,
    agentCommand?: string,
  ) =>
    (
      await c.POST('/api/v1/workspaces', {
        body: {
          name,
          projectId,
          nodeId,
          ...(appCommand ? { appCommand } : {}),
          ...(agentCommand ? { agentCommand } : {}),
        },
      })
    ).data!;
  const running = await create('checkout-redesign', web, studio.nodeId!, APP, AGENT);
  const starting = await create('search-api', api, rack.nodeId, 'bun run server.ts');
  const failed = await create('flaky-migration', api, rack.nodeId, 'bun run migrate');
  const stopped = await create('docs-refresh', web, studio.nodeId!);
  await c.POST('/api/v1/workspaces/{id}/stop', { params: { path: { id: stopped.id } } });
  await create('offline-notes', web, laptop.nodeId);
  const beat = (
    n: { nodeId: string; certificate: string },
    workspaces: unknown[],
    cpu: number,
    memory: number,
  ) =>
    control.clientWith(n.certificate).POST('/api/v1/nodes/{id}/heartbeat', {
      params: { path: { id: n.nodeId } },
      body: { workspaces: workspaces as never, load: { cpu, memory } },
    });
  await beat(
    rack,
    [
      { id: starting.id, status: 'starting' },
      { id: failed.id, status: 'error', reason: 'app exited with code 1: relation "orders" does not exist' },
    ],
    0.64,
    0.58,
  );
  await control.deps.liveness.sweep();
  await c.POST('/api/v1/tokens', { body: { name: 'laptop CLI', scopes: ['read', 'write'] } });
  await c.POST('/api/v1/tokens', { body: { name: 'deploy bot', scopes: ['read'], ttlSeconds: 30 * 86400 } });
  await c.POST('/api/v1/workspaces', { body: { name: 'new-idea', projectId: web } });
  return { runningId: running.id, studio };
}

async function shoot(page: Page, name: string) {
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });
  console.log(`docs/screenshots/${name}.png`);
}

// The laptop joins two minutes in the past and has been silent since; everything else happens now.
const clock = new FakeClock(Date.now() - 120_000);
const pushes = startPushRecorder();
const control = await startTestControl({ clock });
const ui = await launchUiBrowser();
let seeded: Seeded | undefined;
try {
  mkdirSync(OUT, { recursive: true });
  seeded = await seed(control, clock, pushes.url);
  const admin = (await control.client.GET('/api/v1/auth/me')).data!;
  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    const { context, page } = await ui.page(viewport);
    await page.goto(`${control.url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shoot(page, `sign-in-${size}`);
    await page.goto(await control.deps.credentials.loginLink(admin.id, control.url));
    await page.locator('[data-workspace="checkout-redesign"]').getByText('Running').waitFor();
    await shoot(page, `workspaces-${size}`);
    await page.getByRole('button', { name: 'New workspace' }).click();
    await page.getByLabel('Name', { exact: true }).fill('fix-login-bug');
    await shoot(page, `create-${size}`);
    await page.goto(`${control.url}/workspaces/${seeded.runningId}`);
    await page.getByRole('heading', { name: 'checkout-redesign' }).waitFor();
    await page.getByText('Connected to the node').waitFor();
    await page.keyboard.type('ls -a && echo "hello from $(hostname)"\n');
    await page.getByText('Round trip from this browser').waitFor();
    await shoot(page, `workspace-${size}`);
    if (size === 'desktop') {
      await page.getByText('Agent ready', { exact: true }).waitFor();
      await page.getByLabel('Message to the agent').fill('Summarise the open checkout bugs');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.getByText('echo: Summarise the open checkout bugs').waitFor();
      await page.getByRole('link', { name: 'Tasks', exact: true }).click();
      await page.getByLabel('Project', { exact: true }).selectOption({ label: 'web-app' });
      await page.getByLabel('What should the agent do?').fill('Fix the flaky checkout test');
      await page.getByRole('button', { name: 'Submit task' }).click();
      await page.locator('.head-status').getByText('Completed').waitFor({ timeout: 30_000 });
      await shoot(page, 'task-desktop');
      await page.goto(`${control.url}/workspaces/${seeded.runningId}`);
      await page.locator('.feed-item').filter({ hasText: 'completed' }).first().waitFor();
      // The chat at the top, the activity below it (the sticky header is 57 px tall).
      await page.evaluate(() => {
        document.querySelector('section.agent')?.scrollIntoView({ block: 'start' });
        window.scrollBy(0, -72);
      });
      await shoot(page, 'agent-desktop');
    }
    await page.goto(`${control.url}/tasks`);
    await page.locator('.task-row').first().waitFor();
    await shoot(page, `tasks-${size}`);
    await page.goto(`${control.url}/nodes`);
    await page.locator('[data-node="studio"]').waitFor();
    await shoot(page, `nodes-${size}`);
    await page.goto(`${control.url}/settings`);
    await page.getByLabel('Token name').fill('ci');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByLabel('New API token').waitFor();
    await shoot(page, `settings-${size}`);
    await context.close();
  }
  // The dark palette follows the system setting.
  const { context, page } = await ui.page(DESKTOP, 'dark');
  await page.goto(await control.deps.credentials.loginLink(admin.id, control.url));
  await page.locator('[data-workspace="checkout-redesign"]').getByText('Running').waitFor();
  await shoot(page, 'workspaces-dark');
  await page.goto(`${control.url}/workspaces/${seeded.runningId}`);
  await page.getByText('Connected to the node').waitFor();
  await page.keyboard.type('echo "night mode"\n');
  await shoot(page, 'workspace-dark');
  await page.goto(`${control.url}/nodes`);
  await page.locator('[data-node="studio"]').waitFor();
  await shoot(page, 'nodes-dark');
  await context.close();
} finally {
  await seeded?.studio.cleanup();
  await ui.close();
  await control.stop();
  await pushes.stop();
}
