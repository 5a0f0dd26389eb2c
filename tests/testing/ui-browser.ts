// Browser harness of the UI tests: one headless Debian Chromium per test file, a fresh context per test,
// and a screenshot in .test-artifacts/ whenever a test fails.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser (.ci/run installs it when missing). */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = resolve(import.meta.dir, '..', '..', '.test-artifacts');

/** Quiet, local-only flags: no first-run UI, no background calls to Google, no QUIC. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

export interface UiBrowser {
  browser: Browser;
  /** A fresh context (no cookies) and page at `viewport`, light unless `colorScheme` says dark. */
  page(
    viewport?: { width: number; height: number },
    colorScheme?: 'light' | 'dark',
  ): Promise<{ context: BrowserContext; page: Page }>;
  /** Runs `body` with a fresh page; on failure saves `<name>.png` under .test-artifacts/ and rethrows. */
  run(
    name: string,
    body: (page: Page) => Promise<void>,
    viewport?: { width: number; height: number },
  ): Promise<void>;
  close(): Promise<void>;
}

/** Runs `body` on an existing page; on failure saves `<name>.png` under .test-artifacts/ and rethrows. */
export async function capture(page: Page, name: string, body: (page: Page) => Promise<void>): Promise<void> {
  try {
    await body(page);
  } catch (e) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, `${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    throw new Error(`${(e as Error).message}\n(screenshot: ${file})`, { cause: e });
  }
}

/** Launches Chromium; playwright gives every launch a fresh temporary user-data-dir and removes it on close. */
export async function launchUiBrowser(): Promise<UiBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  const page = async (viewport = DESKTOP, colorScheme: 'light' | 'dark' = 'light') => {
    const context = await browser.newContext({ viewport, colorScheme });
    return { context, page: await context.newPage() };
  };
  return {
    browser,
    page,
    async run(name, body, viewport) {
      const { context, page: p } = await page(viewport);
      try {
        await capture(p, name, body);
      } finally {
        await context.close();
      }
    },
    async close() {
      await browser.close();
    },
  };
}
