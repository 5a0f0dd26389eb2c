// The web UI in a real Chromium against a real control plane: sign-in, workspaces with live status,
// confirmations, API tokens, and errors shown in words.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { NodeIsolation } from '../contract/index.ts';
import { joinTestNode, type PushRecorder, type TestControl } from '../control/testing/index.ts';
import { PHONE, startUiControl, type UiBrowser, type UiControl } from './testing/index.ts';

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

/** A fresh one-time sign-in link for the admin (the first one, from the data dir, is used by the first test). */
const adminLink = () => control.deps.credentials.loginLink(adminId, control.url);

async function signIn(page: Page, link?: string) {
  await page.goto(link ?? (await adminLink()));
  await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
}

async function project(name: string) {
  const r = await control.client.POST('/api/v1/projects', { body: { name } });
  return r.data!.id;
}

/** Joins a node through the API, as `warren node join` does; its pushes go to the recorder. */
const joinNode = (name: string, isolation?: NodeIsolation) =>
  joinTestNode(control, { name, address: pushes.url, capacity: 8, ...(isolation ? { isolation } : {}) });

const row = (page: Page, name: string) => page.locator(`[data-workspace="${name}"]`);

describe('Web UI', () => {
  it('signs in with the one-time admin link from the data dir, and the link works only once', async () => {
    await ui.run('sign-in', async (page) => {
      await page.goto(`${control.url}/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      const link = readFileSync(join(control.dataDir, 'login-link.txt'), 'utf8').trim();
      // Pasting the link into the form is the same as opening it.
      await page.getByLabel('Sign-in link').fill(link);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
      await page.getByRole('heading', { name: 'No workspaces yet' }).waitFor();
      expect(await page.locator('.who').textContent()).toBe('admin');
      const again = await fetch(link, { redirect: 'manual' });
      expect(again.status).toBe(401);
    });
  });

  it('says so when a pasted sign-in link was already used', async () => {
    await ui.run('spent-link', async (page) => {
      const link = await adminLink();
      expect((await fetch(link, { redirect: 'manual' })).status).toBe(302);
      await page.goto(`${control.url}/`);
      await page.getByLabel('Sign-in link').fill(link);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('already used or has expired');
      expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(1);
    });
  });

  it('creates a workspace in a new project, sending only the limits filled in, and lists it as waiting for a node', async () => {
    await ui.run('create-workspace', async (page) => {
      await signIn(page);
      await page.getByRole('button', { name: 'New workspace' }).click();
      await page.getByLabel('Name', { exact: true }).fill('first');
      await page.getByLabel('Project', { exact: true }).selectOption({ label: 'New project…' });
      await page.getByLabel('New project name').fill('demo');
      await page.getByLabel('App command').fill('bun run dev');
      // Processes stays blank: the node's default.
      await page.getByLabel('Memory (MB)').fill('1024');
      await page.getByLabel('CPUs').fill('1.5');
      await page.getByRole('button', { name: 'Create workspace' }).click();
      await row(page, 'first').getByText('Waiting for a node').waitFor();
      await row(page, 'first').getByText('demo').waitFor();
      const listed = await control.client.GET('/api/v1/workspaces');
      const w = listed.data!.items.find((x) => x.name === 'first')!;
      expect(w).toMatchObject({ status: 'pending', appCommand: 'bun run dev', desiredState: 'running' });
      expect(w.resources).toEqual({ memoryMb: 1024, cpus: 1.5 });
    });
  });

  it('follows status live: a workspace made elsewhere appears, then turns running when its node reports', async () => {
    await ui.run('live-status', async (page) => {
      await signIn(page);
      const joined = await joinNode('box-1');
      const nodeId = joined.nodeId;
      const ws = await control.client.POST('/api/v1/workspaces', {
        body: { name: 'from-cli', projectId: await project('cli'), nodeId },
      });
      await row(page, 'from-cli').getByText('on box-1').waitFor();
      await control.nodeClient(joined).POST('/api/v1/nodes/{id}/heartbeat', {
        params: { path: { id: nodeId } },
        body: { workspaces: [{ id: ws.data!.id, status: 'running' }], load: { cpu: 0.3, memory: 0.4 } },
      });
      await row(page, 'from-cli').getByText('Running').waitFor();
      // The nodes page shows the node, what it hosts and its load.
      await page.getByRole('link', { name: 'Nodes' }).click();
      const node = page.locator('[data-node="box-1"]');
      await node.getByText('Online').waitFor();
      await node.getByRole('link', { name: 'from-cli' }).waitFor();
      expect(await node.locator('.meter-value').first().textContent()).toBe('30%');
    });
  });

  it('warns on the Nodes page about a node without isolation, and follows its heartbeats', async () => {
    await ui.run('node-isolation', async (page) => {
      await signIn(page);
      const open = await joinNode('open-laptop', 'process');
      await joinNode('sandboxed-box', 'sandbox');
      await page.getByRole('link', { name: 'Nodes' }).click();
      const laptop = page.locator('[data-node="open-laptop"]');
      const warning = laptop.getByRole('note');
      await warning.waitFor();
      expect(await warning.textContent()).toBe(
        "No isolation: workspaces run as the node's user and can read what it holds.",
      );
      expect(await warning.getAttribute('class')).toContain('notice');
      await page.locator('[data-node="sandboxed-box"]').getByText('Sandboxed', { exact: true }).waitFor();
      expect(await page.locator('[data-node="sandboxed-box"]').getByRole('note').count()).toBe(0);
      // The laptop's node now runs a sandbox that shares its network: the warning gives way to a note, live.
      await control.nodeClient(open).POST('/api/v1/nodes/{id}/heartbeat', {
        params: { path: { id: open.nodeId } },
        body: { workspaces: [], isolation: 'sandbox-shared-network' },
      });
      await laptop.getByText("workspaces can reach this machine's loopback services").waitFor();
      expect(await laptop.getByRole('note').count()).toBe(0);
    });
  });

  it('stops a workspace, and deletes it only after confirmation', async () => {
    await ui.run('stop-delete', async (page) => {
      await control.client.POST('/api/v1/workspaces', {
        body: { name: 'doomed', projectId: await project('d') },
      });
      await signIn(page);
      const r = row(page, 'doomed');
      await r.getByRole('button', { name: 'Stop doomed' }).click();
      await r.getByRole('button', { name: 'Start doomed' }).waitFor();
      await r.getByRole('button', { name: 'Delete doomed' }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete “doomed”?' });
      await dialog.waitFor();
      // Cancel has the focus, so Enter keeps the workspace.
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' });
      expect(await r.count()).toBe(1);
      await r.getByRole('button', { name: 'Delete doomed' }).click();
      await page.getByRole('button', { name: 'Delete workspace' }).click();
      await r.getByText('Deleting').first().waitFor();
      const w = (await control.client.GET('/api/v1/workspaces')).data!.items.find((x) => x.name === 'doomed');
      expect(w?.desiredState ?? 'deleted').toBe('deleted');
    });
  });

  it('creates an API token shown once that works, and revokes it', async () => {
    await ui.run('api-token', async (page) => {
      await signIn(page);
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('Token name').fill('ci-bot');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = await page.getByLabel('New API token').inputValue();
      expect(secret).toStartWith('wrn_api_');
      expect((await control.clientWith(secret).GET('/api/v1/auth/me')).response.status).toBe(200);
      await page.locator('[data-token="ci-bot"]').waitFor();
      await page.getByRole('button', { name: 'Revoke ci-bot' }).click();
      await page.getByRole('button', { name: 'Revoke token' }).click();
      await page.locator('[data-token="ci-bot"]').waitFor({ state: 'detached' });
      // Revoked tokens are no longer shown, and the secret no longer works.
      expect(await page.getByLabel('New API token').count()).toBe(0);
      expect((await control.clientWith(secret).GET('/api/v1/auth/me')).response.status).toBe(401);
    });
  });

  it('shows a failed action’s error in words and keeps the form', async () => {
    await ui.run('failed-action', async (page) => {
      await project('errors');
      await signIn(page);
      await page.getByRole('button', { name: 'New workspace' }).click();
      await page.getByLabel('Name', { exact: true }).fill('bad/name');
      await page.getByRole('button', { name: 'Create workspace' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const text = (await alert.textContent()) ?? '';
      expect(text).toContain('Please fix');
      expect(text).toContain('name');
      expect(text).toContain('letters, digits');
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('bad/name');
    });
  });

  it('creates a join token with the command to run on a laptop', async () => {
    await ui.run('join-token', async (page) => {
      await signIn(page);
      await page.goto(`${control.url}/settings`);
      await page.getByRole('button', { name: 'Create join token' }).click();
      const command = await page.getByLabel('Run this on the machine').inputValue();
      expect(command).toContain('warren node join');
      expect(command).toContain(`--control ${control.url}`);
    });
  });

  it('adds a person whose one-time link signs them in as a member, without admin settings', async () => {
    await ui.run('add-person', async (page) => {
      await signIn(page);
      await page.goto(`${control.url}/settings`);
      await page.getByLabel('Name', { exact: true }).fill('grace');
      await page.getByRole('button', { name: 'Add person' }).click();
      const link = await page.getByLabel('Sign-in link for grace').inputValue();
      await page.getByRole('cell', { name: 'member' }).first().waitFor();
      const { context, page: theirs } = await ui.page();
      try {
        await theirs.goto(link);
        await theirs.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
        expect(await theirs.locator('.who').textContent()).toBe('grace');
        await theirs.goto(`${control.url}/settings`);
        await theirs.getByText('Only admins create join tokens').waitFor();
        expect(await theirs.getByRole('heading', { name: 'People' }).count()).toBe(0);
      } finally {
        await context.close();
      }
    });
  });

  it('disables a person from People after asking, and their open session ends at once', async () => {
    await ui.run('disable-person', async (page) => {
      await signIn(page);
      await page.goto(`${control.url}/settings`);
      await page.getByLabel('Name', { exact: true }).fill('hopper');
      await page.getByRole('button', { name: 'Add person' }).click();
      const link = await page.getByLabel('Sign-in link for hopper').inputValue();
      const { context, page: theirs } = await ui.page();
      try {
        await theirs.goto(link);
        await theirs.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
        await page.getByRole('button', { name: 'Disable hopper' }).click();
        await page.getByRole('button', { name: 'Disable person' }).click();
        await page.locator('tr[data-user="hopper"]').getByRole('cell', { name: 'disabled' }).waitFor();
        await theirs.reload();
        await theirs.getByRole('heading', { name: 'Sign in' }).waitFor();
        // Enabled again, a fresh link from the same table signs them in.
        await page.getByRole('button', { name: 'Enable hopper' }).click();
        await page.getByRole('button', { name: 'New sign-in link for hopper' }).click();
        await page.getByText('A new link for hopper.').waitFor();
        const fresh = await page.getByLabel('Sign-in link for hopper').inputValue();
        expect(fresh).not.toBe(link);
        await theirs.goto(fresh);
        await theirs.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
      } finally {
        await context.close();
      }
    });
  });

  it('signs out, and the session no longer works', async () => {
    await ui.run('sign-out', async (page) => {
      await signIn(page);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    });
  });

  it('is usable by keyboard: a skip link first, and focus lands on the new page’s heading', async () => {
    await ui.run('keyboard', async (page) => {
      await signIn(page);
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      const nodes = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Nodes' });
      await nodes.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Nodes', level: 1 }).waitFor();
      expect(await nodes.getAttribute('aria-current')).toBe('page');
      expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Nodes');
    });
  });

  it('works at phone width: navigation, list and create form fit the screen', async () => {
    await ui.run(
      'phone',
      async (page) => {
        await signIn(page);
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: 'Settings' })
          .waitFor();
        await page.getByRole('button', { name: 'New workspace' }).click();
        await page.getByLabel('Name', { exact: true }).waitFor();
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
      },
      PHONE,
    );
  });
});
