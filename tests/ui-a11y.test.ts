// Accessibility of the main pages, checked by axe-core inside Chromium (light and dark, desktop and phone):
// no serious or critical violations (labels, names, roles, contrast, landmarks).
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { NodeIsolation } from '../contract/index.ts';
import {
  joinTestNode,
  type PushRecorder,
  startPushRecorder,
  startTestControl,
  type TestControl,
} from '../control/testing/index.ts';
import { capture, DESKTOP, launchUiBrowser, PHONE, type UiBrowser } from './testing/index.ts';

const AXE_SOURCE = readFileSync(
  resolve(import.meta.dir, '..', 'node_modules', 'axe-core', 'axe.min.js'),
  'utf8',
);

let control: TestControl;
let ui: UiBrowser;
let pushes: PushRecorder;
let workspaceId: string;

beforeAll(async () => {
  [control, ui] = await Promise.all([startTestControl(), launchUiBrowser()]);
  pushes = startPushRecorder();
  // Something on every page: nodes with load and each isolation note, workspaces in several states, a token.
  const join = (name: string, isolation: NodeIsolation) =>
    joinTestNode(control, { name, address: pushes.url, isolation });
  const node = await join('box', 'process');
  const projectId = (
    await control.client.POST('/api/v1/projects', {
      body: { name: 'site', appCommand: 'bun dev', resources: { memoryMb: 512 } },
    })
  ).data!.id;
  const a = (
    await control.client.POST('/api/v1/workspaces', { body: { name: 'a', projectId, appCommand: 'x' } })
  ).data!;
  await control.client.POST('/api/v1/workspaces', { body: { name: 'b', projectId } });
  await control.nodeClient(node).POST('/api/v1/nodes/{id}/heartbeat', {
    params: { path: { id: node.nodeId } },
    body: { workspaces: [{ id: a.id, status: 'running' }], load: { cpu: 0.2, memory: 0.3 } },
  });
  workspaceId = a.id;
  await join('laptop', 'sandbox-shared-network');
  const server = await join('server', 'sandbox');
  await control.client.PATCH('/api/v1/nodes/{id}', {
    params: { path: { id: server.nodeId } },
    body: { drained: true },
  });
});
afterAll(async () => {
  await ui?.close();
  await control?.stop();
  await pushes?.stop();
});

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Serious and critical axe violations on the current page. */
async function violations(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol: the page's CSP (rightly) refuses injected script tags.
  await page.evaluate(AXE_SOURCE);
  const found = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run()).violations;
  })) as Violation[];
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

const PAGES: { name: string; path: () => string; ready: (page: Page) => Promise<void> }[] = [
  {
    name: 'workspaces',
    path: () => '/workspaces',
    ready: (p) => p.locator('[data-workspace="a"]').getByText('Running').waitFor(),
  },
  {
    name: 'workspace',
    path: () => `/workspaces/${workspaceId}`,
    ready: (p) => p.getByRole('heading', { name: 'Request path' }).waitFor(),
  },
  {
    name: 'nodes',
    path: () => '/nodes',
    ready: (p) => p.locator('[data-node="box"] [data-isolation="process"]').waitFor(),
  },
  {
    name: 'projects',
    path: () => '/projects',
    ready: (p) => p.locator('[data-project="site"]').waitFor(),
  },
  { name: 'settings', path: () => '/settings', ready: (p) => p.locator('tbody tr').first().waitFor() },
  {
    name: 'tasks',
    path: () => '/tasks',
    ready: (p) => p.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor(),
  },
];

describe('Accessibility', () => {
  for (const [scheme, viewport] of [
    ['light', DESKTOP],
    ['dark', PHONE],
  ] as const) {
    it(`has no serious violations on the main pages (${scheme}, ${viewport.width} px)`, async () => {
      const { context, page } = await ui.page(viewport, scheme);
      try {
        await capture(page, `a11y-${scheme}`, async () => {
          await page.goto(`${control.url}/`);
          await page.getByRole('heading', { name: 'Sign in' }).waitFor();
          const found: string[] = (await violations(page)).map((v) => `sign-in: ${v}`);
          const me = (await control.client.GET('/api/v1/auth/me')).data!;
          await page.goto(await control.deps.credentials.loginLink(me.id, control.url));
          for (const p of PAGES) {
            await page.goto(`${control.url}${p.path()}`);
            await p.ready(page);
            found.push(...(await violations(page)).map((v) => `${p.name}: ${v}`));
          }
          expect(found).toEqual([]);
        });
      } finally {
        await context.close();
      }
    }, 60_000);
  }
});
