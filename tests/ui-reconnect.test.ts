// The live stream survives a control plane restart: the page shows it reconnecting, then follows changes made
// after the restart, with the same session (it lives in the database, not in the process).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ControlConfig,
  createLog,
  defaultControlConfig,
  type RunningControl,
  startControl,
} from '../control/index.ts';
import { createControlClient } from '../openapi/client/index.ts';
import { launchUiBrowser, type UiBrowser } from './testing/index.ts';

let ui: UiBrowser;
let dataDir: string;
let running: RunningControl | undefined;

const start = (config: ControlConfig) => startControl(config, { log: createLog({ quiet: true }) });

beforeAll(async () => {
  ui = await launchUiBrowser();
  dataDir = mkdtempSync(join(tmpdir(), 'warren-ui-restart-'));
});
afterAll(async () => {
  await ui?.close();
  await running?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Live updates across a restart', () => {
  it('reconnects after the control plane restarts and shows what changed after it', async () => {
    await ui.run('reconnect', async (page) => {
      const config: ControlConfig = { ...defaultControlConfig(dataDir), port: 0 };
      running = await start(config);
      const first = running.firstStart!;
      const port = Number(new URL(running.url).port);
      await page.goto(first.loginLink);
      await page.getByRole('heading', { name: 'No workspaces yet' }).waitFor();
      await page.locator('.live-dot.live').waitFor();

      await running.stop();
      running = undefined;
      await page.locator('.live-dot.reconnecting').waitFor();

      // Same data dir and port: the session and the page's address still hold.
      running = await start({ ...config, port });
      await page.locator('.live-dot.live').waitFor({ timeout: 15_000 });
      const client = createControlClient(running.url, { token: first.adminToken });
      const projectId = (await client.POST('/api/v1/projects', { body: { name: 'after' } })).data!.id;
      await client.POST('/api/v1/workspaces', { body: { name: 'after-restart', projectId } });
      await page.locator('[data-workspace="after-restart"]').waitFor();
      expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
    });
  }, 45_000);
});
