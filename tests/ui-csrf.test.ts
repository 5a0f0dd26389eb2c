// Cross-site request forgery in a real Chromium: a page on another origin of the same host (so the browser sends
// the admin's SameSite=Lax session cookie along) tries to change the control plane and is refused.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Page } from 'playwright-core';
import { newId } from '../contract/index.ts';
import { startTestControl, type TestControl } from '../control/testing/index.ts';
import { launchUiBrowser, type UiBrowser } from './testing/index.ts';

let control: TestControl;
let ui: UiBrowser;
/** The attacker's site: another port on 127.0.0.1, same site as the control plane, another origin. */
let attacker: ReturnType<typeof Bun.serve>;

/** Pages the attacker serves, each aimed at the control plane. */
function attackPages(target: string): Record<string, string> {
  const submit = (form: string) =>
    `<!doctype html><form id="f" method="POST" ${form}</form><script>document.getElementById('f').submit()</script>`;
  // text/plain forms send `name=value`; naming the field with JSON's head and valuing it with its tail makes
  // the body a JSON document: {"name":"csrf-text","role":"admin","pad":"="}.
  const jsonHead = `{"name":"csrf-text","role":"admin","pad":"`;
  return {
    '/text-form': submit(
      `action="${target}/api/v1/users" enctype="text/plain"><input name='${jsonHead}' value='"}'>`,
    ),
    '/urlencoded-form': submit(
      `action="${target}/api/v1/users"><input name="name" value="csrf-form"><input name="role" value="admin">`,
    ),
    '/fetch': `<!doctype html><script>
      window.done = fetch(${JSON.stringify(`${target}/api/v1/users`)}, {
        method: 'POST', mode: 'no-cors', credentials: 'include',
        // application/json would need a CORS preflight (refused); a form body needs none.
        body: new URLSearchParams({ name: 'csrf-fetch', role: 'admin' }),
      }).then(() => 'sent', (e) => String(e));
    </script>`,
  };
}

beforeAll(async () => {
  [control, ui] = await Promise.all([startTestControl(), launchUiBrowser()]);
  const pages = attackPages(control.url);
  attacker = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      const approve = /^\/approve\/(\w+)$/.exec(url.pathname);
      // A form with no fields: no body, so only the CSRF rule stands between it and the approval.
      const html = approve
        ? `<!doctype html><form id="f" method="POST" action="${control.url}/api/v1/users/${approve[1]}/approve"></form><script>document.getElementById('f').submit()</script>`
        : pages[url.pathname];
      return html
        ? new Response(html, { headers: { 'content-type': 'text/html' } })
        : new Response('not found', { status: 404 });
    },
  });
});
afterAll(async () => {
  await ui?.close();
  await attacker?.stop(true);
  await control?.stop();
});

/** Signs the page's browser context in as the admin (the session cookie is then in the browser). */
async function signInAsAdmin(page: Page) {
  const adminId = (await control.client.GET('/api/v1/auth/me')).data!.id;
  await page.goto(await control.deps.credentials.loginLink(adminId, control.url));
  await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor();
}

const userNamed = async (name: string) =>
  (await control.deps.store.users.list()).find((u) => u.name === name);

/** Opens an attacker page that submits a form to the control plane; resolves with the control plane's status. */
async function submitFrom(page: Page, path: string): Promise<number> {
  const answered = page.waitForResponse((r) => r.url().startsWith(`${control.url}/api/v1/users`));
  await page.goto(`${attacker.url.origin}${path}`);
  return (await answered).status();
}

describe('A page on another origin, with an admin signed in', () => {
  it('cannot create a user by submitting a form (text/plain shaped as JSON, or urlencoded)', async () => {
    await ui.run('csrf-forms', async (page) => {
      await signInAsAdmin(page);
      const text = await submitFrom(page, '/text-form');
      const urlencoded = await submitFrom(page, '/urlencoded-form');
      expect(await userNamed('csrf-text')).toBeUndefined();
      expect(await userNamed('csrf-form')).toBeUndefined();
      expect([403, 415]).toContain(text);
      expect([403, 415]).toContain(urlencoded);
    });
  });

  it('cannot create a user with fetch and credentials', async () => {
    await ui.run('csrf-fetch', async (page) => {
      await signInAsAdmin(page);
      const answered = page.waitForResponse((r) => r.url() === `${control.url}/api/v1/users`);
      await page.goto(`${attacker.url.origin}/fetch`);
      expect(await page.evaluate(() => (window as unknown as { done: Promise<string> }).done)).toBe('sent');
      // no-cors: the page cannot read the answer, but the browser saw it.
      const status = (await answered).status();
      expect(await userNamed('csrf-fetch')).toBeUndefined();
      expect([403, 415]).toContain(status);
    });
  });

  it('cannot approve a waiting user with an empty form', async () => {
    const pending = await control.deps.store.users.insert({
      id: newId('user'),
      name: 'waiting',
      email: null,
      role: 'member',
      status: 'pending',
      createdAt: Date.now(),
    });
    await ui.run('csrf-approve', async (page) => {
      await signInAsAdmin(page);
      const status = await submitFrom(page, `/approve/${pending.id}`);
      expect((await control.deps.store.users.get(pending.id))?.status).toBe('pending');
      expect(status).toBe(403);
    });
  });
});
