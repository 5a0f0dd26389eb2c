// The Projects page and node rename/drain in a real Chromium against a real control plane: create a project
// with defaults, rename and change it, start a workspace from its defaults, delete it; rename and drain a node.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Page } from 'playwright-core';
import {
  type GitHubWorld,
  joinTestNode,
  type PushRecorder,
  signInWithGitHub,
  startGitHubWorld,
  startTestControl,
  type TestControl,
  WORLD,
  WORLD_INSTALLATION,
} from '../control/testing/index.ts';
import { startUiControl, type UiBrowser, type UiControl } from './testing/index.ts';

let control: TestControl;
let ui: UiBrowser;
let adminId: string;
let pushes: PushRecorder;
let setup: UiControl | undefined;

beforeAll(async () => {
  setup = await startUiControl();
  ({ control, ui, adminId, pushes } = setup);
});
afterAll(async () => {
  await setup?.stop();
});

async function signIn(page: Page) {
  await page.goto(await control.deps.credentials.loginLink(adminId, control.url));
  await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
}

const card = (page: Page, name: string) => page.locator(`[data-project="${name}"]`);
const projectNamed = async (name: string) =>
  (await control.client.GET('/api/v1/projects')).data!.items.find((p) => p.name === name);

describe('Projects page', () => {
  it('creates, renames and changes, and deletes a project; the workspace form starts from its defaults', async () => {
    await ui.run('projects-page', async (page) => {
      await signIn(page);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
      await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
      await page.getByRole('heading', { name: 'No projects yet' }).waitFor();

      await page.getByRole('button', { name: 'New project' }).click();
      await page.getByLabel('Name', { exact: true }).fill('shop');
      await page.getByLabel('Description').fill('the web shop');
      await page.getByLabel('App command').fill('bun run dev');
      await page.getByLabel('Agent command').fill('claude-code-acp');
      await page.getByLabel('Memory (MB)').fill('1024');
      await page.getByRole('button', { name: 'Create project' }).click();
      await card(page, 'shop').waitFor();
      expect(await card(page, 'shop').textContent()).toContain('1024 MB memory');
      expect(await projectNamed('shop')).toMatchObject({
        description: 'the web shop',
        appCommand: 'bun run dev',
        agentCommand: 'claude-code-acp',
        resources: { memoryMb: 1024 },
      });

      // Rename it and clear its app command.
      await card(page, 'shop').getByRole('button', { name: 'Edit shop' }).click();
      await page.getByLabel('Name', { exact: true }).fill('web shop');
      await page.getByLabel('App command').fill('');
      await page.getByRole('button', { name: 'Save project' }).click();
      await card(page, 'web shop').waitFor();
      const saved = (await projectNamed('web shop'))!;
      expect(saved).toMatchObject({ appCommand: null, agentCommand: 'claude-code-acp' });

      // The workspace form shows the project's defaults and a blank field takes them.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workspaces' }).click();
      await page.getByRole('button', { name: 'New workspace' }).click();
      await page.getByLabel('Name', { exact: true }).fill('from-defaults');
      await page.getByLabel('Project', { exact: true }).selectOption({ label: 'web shop' });
      expect(await page.getByLabel('Agent command').getAttribute('placeholder')).toBe('claude-code-acp');
      expect(await page.getByLabel('Memory (MB)').getAttribute('placeholder')).toBe('1024');
      await page.getByRole('button', { name: 'Create workspace' }).click();
      await page.locator('[data-workspace="from-defaults"]').waitFor();
      const ws = (await control.client.GET('/api/v1/workspaces')).data!.items.find(
        (w) => w.name === 'from-defaults',
      )!;
      expect(ws).toMatchObject({
        projectId: saved.id,
        agentCommand: 'claude-code-acp',
        resources: { memoryMb: 1024 },
      });

      // Delete it, workspaces and all, after a confirmation.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
      await card(page, 'web shop').getByRole('button', { name: 'Delete web shop' }).click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.textContent()).toContain('1 workspace(s) are deleted with it');
      await dialog.getByRole('button', { name: 'Delete project' }).click();
      await card(page, 'web shop').waitFor({ state: 'detached' });
      expect(await projectNamed('web shop')).toBeUndefined();
    });
  }, 60_000);
});

describe('Nodes page', () => {
  it('renames and drains a node, and undrains it', async () => {
    const joined = await joinTestNode(control, { name: 'host-1', address: pushes.url, capacity: 4 });
    await ui.run('nodes-rename-drain', async (page) => {
      await signIn(page);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Nodes' }).click();
      const node = page.locator('[data-node="host-1"]');
      await node.getByRole('button', { name: 'Rename host-1' }).click();
      await node.getByLabel('New name').fill('rack-1');
      await node.getByRole('button', { name: 'Save name' }).click();
      const renamed = page.locator('[data-node="rack-1"]');
      await renamed.waitFor();

      await renamed.getByRole('button', { name: 'Drain rack-1' }).click();
      await renamed.locator('[data-drained="true"]').waitFor();
      const after = await control.client.GET('/api/v1/nodes/{id}', {
        params: { path: { id: joined.nodeId } },
      });
      expect(after.data).toMatchObject({ name: 'rack-1' });
      expect(after.data!.drainedAt).not.toBeNull();

      await renamed.getByRole('button', { name: 'Undrain rack-1' }).click();
      await renamed.locator('[data-drained="true"]').waitFor({ state: 'detached' });
      const back = await control.client.GET('/api/v1/nodes/{id}', {
        params: { path: { id: joined.nodeId } },
      });
      expect(back.data!.drainedAt).toBeNull();
    });
  }, 60_000);
});

describe('Project repositories in the UI', () => {
  let world: GitHubWorld;
  let gh: TestControl;
  beforeAll(async () => {
    world = startGitHubWorld();
    gh = await startTestControl({ github: world.config });
    // The installation is known (as after the App's setup redirect or a webhook).
    await gh.deps.store.github.installations.upsert(WORLD_INSTALLATION);
  });
  afterAll(async () => {
    await gh?.stop();
    await world?.stop();
  });

  it('binds the primary, adds a suggested submodule, says why one cannot be added, and removes one', async () => {
    const signed = await signInWithGitHub(gh.url, world.fake, WORLD.alice);
    await ui.run('project-repositories', async (page) => {
      await page.context().addCookies([{ name: 'warren_session', value: signed.session!, url: gh.url }]);
      await page.goto(`${gh.url}/projects`);
      await page.getByRole('button', { name: 'New project' }).click();
      await page.getByLabel('Name', { exact: true }).fill('app');
      await page.getByRole('button', { name: 'Create project' }).click();
      const app = card(page, 'app');
      await app.getByRole('button', { name: 'Manage repositories of app' }).click();
      await app.getByLabel('GitHub installation').selectOption({ label: WORLD.org.login });
      await app.getByLabel('Primary repository').fill('acme/app');
      await app.getByRole('button', { name: 'Bind' }).click();
      await app.locator('.repos .mono', { hasText: 'acme/app' }).waitFor();

      // Its same-owner submodules are offered; one the installation does not cover is refused in words.
      await app.getByRole('button', { name: 'Add acme/lib' }).click();
      await app.locator('.repos .mono', { hasText: 'acme/lib' }).waitFor();
      await app.getByLabel('Add a repository').fill('acme/tools');
      await app.getByRole('button', { name: 'Add', exact: true }).click();
      await app.getByRole('alert').waitFor();
      const p = (
        await gh
          .clientWith()
          .GET('/api/v1/projects', { headers: { cookie: `warren_session=${signed.session}` } })
      ).data!.items[0]!;
      expect(p.repositories.map((r) => [r.fullName, r.role])).toEqual([
        ['acme/app', 'primary'],
        ['acme/lib', 'additional'],
      ]);

      await app.getByRole('button', { name: 'Remove acme/lib' }).click();
      await app.locator('.repos .mono', { hasText: 'acme/lib' }).waitFor({ state: 'detached' });
      const after = await gh.clientWith().GET('/api/v1/projects/{id}', {
        params: { path: { id: p.id } },
        headers: { cookie: `warren_session=${signed.session}` },
      });
      expect(after.data!.repositories.map((r) => r.fullName)).toEqual(['acme/app']);
    });
  }, 60_000);
});
