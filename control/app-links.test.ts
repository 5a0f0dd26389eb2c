// Links a browser follows into the control plane: the app link that hands out a fresh app cookie, and a spent
// sign-in link. Browsers get a redirect or a page; API clients get the error shape.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { decodeJwt } from 'jose';
import { appReturnPath } from '../contract/index.ts';
import {
  joinTestNode,
  type PushRecorder,
  startPushRecorder,
  startTestControl,
  type TestControl,
} from './testing/index.ts';

let control: TestControl;
let node: PushRecorder;
let workspaceId = '';
let appOrigin = '';
let adminId = '';

/** What a browser sends when it loads a page. */
const PAGE = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-mode': 'navigate' };

/** A signed-in browser's session cookie, through a fresh one-time link. */
async function sessionCookie(): Promise<string> {
  const link = await control.deps.credentials.loginLink(adminId, control.url);
  const res = await fetch(link, { redirect: 'manual', headers: PAGE });
  expect(res.status).toBe(302);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

beforeAll(async () => {
  control = await startTestControl();
  node = startPushRecorder();
  const joined = await joinTestNode(control, { name: 'n-apps', address: node.url, baseDomain: 'localhost' });
  const project = await control.client.POST('/api/v1/projects', { body: { name: 'links' } });
  const ws = await control.client.POST('/api/v1/workspaces', {
    body: { name: 'app', projectId: project.data!.id, nodeId: joined.nodeId },
  });
  workspaceId = ws.data!.id;
  appOrigin = `http://ws-${workspaceId}.localhost:${new URL(node.url).port}`;
  adminId = (await control.client.GET('/api/v1/auth/me')).data!.id;
});
afterAll(async () => {
  await node.stop();
  await control.stop();
});

const appLink = (path: string, headers: Record<string, string>, id = workspaceId) =>
  fetch(`${control.url}/api/v1/workspaces/${id}/app?path=${encodeURIComponent(path)}`, {
    redirect: 'manual',
    headers,
  });

describe('The app link', () => {
  it("mints an http token for the signed-in user and sends the browser to the app's /_auth, then to the page it asked for", async () => {
    const cookie = await sessionCookie();
    const res = await appLink('/deep/page?q=1', { ...PAGE, cookie });
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe(appOrigin);
    expect(to.pathname).toBe('/_auth');
    expect(to.searchParams.get('return')).toBe('/deep/page?q=1');
    const claims = decodeJwt(to.searchParams.get('token')!);
    expect(claims.sub).toBe(adminId);
    expect(claims.aud).toBe(`workspace:${workspaceId}`);
    expect(claims.scope).toBe('http');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('keeps the browser on the app: a return path that names another origin becomes /', async () => {
    const cookie = await sessionCookie();
    for (const evil of [
      '//evil.example/x',
      'https://evil.example/',
      '/\\evil.example',
      'evil',
      '/a\r\nx: y',
    ]) {
      const res = await appLink(evil, { ...PAGE, cookie });
      expect(res.status).toBe(303);
      const to = new URL(res.headers.get('location')!);
      expect(to.origin).toBe(appOrigin);
      expect(to.searchParams.get('return')).toBe('/');
    }
  });

  it('shows a browser without a session a page that says to sign in, and an API client the 401 shape', async () => {
    const page = await appLink('/', PAGE);
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toStartWith('text/html');
    const html = await page.text();
    expect(html).toContain('Sign in to Warren to open this app');
    expect(html).not.toContain('"error"');
    const api = await appLink('/', { accept: 'application/json' });
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it("answers another user's workspace with 404 — a page for a browser — and mints nothing", async () => {
    const member = await control.client.POST('/api/v1/users', { body: { name: 'other' } });
    const other = control.clientWith(member.data!.apiToken);
    const res = await fetch(`${control.url}/api/v1/workspaces/${workspaceId}/app?path=/`, {
      redirect: 'manual',
      headers: { authorization: `Bearer ${member.data!.apiToken}`, ...PAGE },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('No such workspace');
    const api = await other.GET('/api/v1/workspaces/{id}', { params: { path: { id: workspaceId } } });
    expect(api.response.status).toBe(404);
  });
});

describe('A spent sign-in link', () => {
  it('shows a browser a page that says what to do, and an API client the 401 shape', async () => {
    const link = await control.deps.credentials.loginLink(adminId, control.url);
    expect((await fetch(link, { redirect: 'manual', headers: PAGE })).status).toBe(302);
    const again = await fetch(link, { redirect: 'manual', headers: PAGE });
    expect(again.status).toBe(401);
    expect(again.headers.get('content-type')).toStartWith('text/html');
    expect(again.headers.get('set-cookie')).toBeNull();
    const html = await again.text();
    expect(html).toContain('This sign-in link no longer works');
    expect(html).toContain('ask an admin for a new link');
    const api = await fetch(link, { redirect: 'manual', headers: { accept: 'application/json' } });
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

describe('Content negotiation', () => {
  it('shows a browser a page for an address with nothing there, and keeps the error shape for the API', async () => {
    const page = await fetch(`${control.url}/no/such/page`, { headers: PAGE });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toStartWith('text/html');
    expect(await page.text()).toContain('There is no such page');
    for (const [path, headers] of [
      ['/no/such/page', { accept: 'application/json' }],
      ['/no/such/page', {}],
      ['/api/v1/no-such-route', PAGE],
    ] as const) {
      const res = await fetch(`${control.url}${path}`, { headers });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });
});

describe('appReturnPath', () => {
  it('keeps paths on the same origin and turns everything else into /', () => {
    expect(appReturnPath('/a/b?c=d#e')).toBe('/a/b?c=d#e');
    expect(appReturnPath(undefined)).toBe('/');
    for (const evil of [
      '//evil.example',
      '/\\evil.example',
      'http://evil.example',
      'javascript:alert(1)',
      '/a\nb',
      `/${'a'.repeat(3000)}`,
    ])
      expect(appReturnPath(evil)).toBe('/');
  });
});
