// Git credentials through the node's one workspace start pipeline: every way a workspace starts gets a working secret.
import { afterEach, describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import {
  eventually,
  startTestIssuer,
  startTestNode,
  type TestIssuer,
  type TestNode,
  tempDataDir,
  workspaceSpec,
} from './testing/index.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function issuer(): Promise<TestIssuer> {
  const i = await startTestIssuer();
  cleanups.push(() => i.stop());
  return i;
}

async function node(o: Parameters<typeof startTestNode>[0]): Promise<TestNode> {
  const n = await startTestNode(o);
  cleanups.push(() => n.cleanup());
  return n;
}

const spec = workspaceSpec;

/** The environment of the workspace's running app process, as the kernel holds it. */
function processEnv(n: TestNode, id: string): Record<string, string> {
  const pid = n.runtime.processGroup(id);
  if (pid === undefined) throw new Error(`no process for ${id}`);
  const out: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** What git's credential helper would get with this environment's secret. */
async function credential(
  env: Record<string, string | undefined>,
): Promise<{ status: number; text: string }> {
  const r = await fetch(env.WARREN_GIT_CREDENTIAL_URL ?? 'http://127.0.0.1:9/', {
    method: 'POST',
    headers: { authorization: `Bearer ${env.WARREN_GIT_SECRET}`, 'content-type': 'text/plain' },
    body: 'protocol=https\nhost=github.com\n\n',
  });
  return { status: r.status, text: await r.text() };
}

const running = (n: TestNode, id: string) =>
  eventually(() => n.runtime.get(id)?.status === 'running', `workspace ${id} running`);

describe('Git credentials in the workspace start pipeline', () => {
  it('gives every workspace on the node its own working secret, and git a helper that is not written anywhere', async () => {
    const iss = await issuer();
    const n = await node({ controlUrl: iss.url, joinToken: iss.joinToken() });
    const w1 = spec();
    const w2 = spec();
    await iss.place(n.nodeId, w1, n.url);
    await iss.place(n.nodeId, w2, n.url);
    await running(n, w1.id);
    await running(n, w2.id);
    const e1 = processEnv(n, w1.id);
    const e2 = processEnv(n, w2.id);
    expect(e1.WARREN_GIT_CREDENTIAL_URL).toBe(n.gitCredentialUrl);
    expect(e1.GIT_CONFIG_KEY_1).toBe('credential.helper');
    expect(e1.PATH?.split(':')[0]).toEndWith('node/git/bin');
    expect(e1.WARREN_GIT_SECRET).not.toBe(e2.WARREN_GIT_SECRET);
    // The terminal gets the same environment as the app.
    expect(n.runtime.get(w1.id)!.env.WARREN_GIT_SECRET).toBe(e1.WARREN_GIT_SECRET);
    const c1 = await credential(e1);
    const c2 = await credential(e2);
    expect(c1.text).toContain(`password=ghs_${w1.id}_`);
    expect(c2.text).toContain(`password=ghs_${w2.id}_`);
    // W1's secret is W1's alone: relabelled as W2's it opens nothing.
    const random = e1.WARREN_GIT_SECRET!.split('.')[1];
    const relabelled = await credential({ ...e1, WARREN_GIT_SECRET: `${w2.id}.${random}` });
    expect(relabelled.status).toBe(401);
    expect(relabelled.text).not.toContain('password=');
  });

  it('issues a working secret again after a crash restart and after a node restart, and none once stopped', async () => {
    const iss = await issuer();
    const dataDir = tempDataDir();
    const first = await startTestNode({ controlUrl: iss.url, joinToken: iss.joinToken(), dataDir });
    let closed = false;
    cleanups.push(async () => {
      if (!closed) await first.stop();
    });
    const w = spec();
    await iss.place(first.nodeId, w, first.url);
    await running(first, w.id);
    // Crash: the restarted process of the same run holds a working secret.
    const pid = first.runtime.processGroup(w.id)!;
    process.kill(pid, 'SIGKILL');
    await eventually(
      () => first.runtime.processGroup(w.id) !== undefined && first.runtime.processGroup(w.id) !== pid,
      'the app restarted',
    );
    await running(first, w.id);
    expect((await credential(processEnv(first, w.id))).status).toBe(200);
    const before = processEnv(first, w.id);
    // Node restart: the restored workspace comes back through the same pipeline.
    await first.stop();
    closed = true;
    const second = await node({ controlUrl: iss.url, dataDir });
    await running(second, w.id);
    const after = processEnv(second, w.id);
    expect(after.WARREN_GIT_SECRET).not.toBe(before.WARREN_GIT_SECRET);
    expect((await credential(after)).text).toContain(`password=ghs_${w.id}_`);
    // Stopped: the secret no longer works.
    await iss.place(second.nodeId, { ...w, desiredState: 'stopped' }, second.url);
    expect((await credential(after)).status).toBe(401);
  });

  it("refuses a browser's request (Origin, Referer) or a foreign Host on the node's endpoint, even with a valid secret", async () => {
    const iss = await issuer();
    const n = await node({ controlUrl: iss.url, joinToken: iss.joinToken() });
    const w = spec({ appCommand: null });
    await iss.place(n.nodeId, w, n.url);
    await running(n, w.id);
    const env = n.runtime.get(w.id)!.env;
    const post = (headers: Record<string, string>) =>
      fetch(n.gitCredentialUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.WARREN_GIT_SECRET}`, ...headers },
        body: 'protocol=https\nhost=github.com\n\n',
      });
    expect((await post({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ referer: 'https://evil.example/x' })).status).toBe(403);
    expect((await post({ host: 'evil.example' })).status).toBe(403);
    expect((await post({})).status).toBe(200);
    expect(iss.stats.gitTokens).toBe(1);
  });

  it('sets git up for a workspace without an app command too (its terminals use git)', async () => {
    const iss = await issuer();
    const n = await node({ controlUrl: iss.url, joinToken: iss.joinToken() });
    const w = spec({ appCommand: null });
    await iss.place(n.nodeId, w, n.url);
    await running(n, w.id);
    const env = n.runtime.get(w.id)!.env;
    expect((await credential(env)).text).toContain(`password=ghs_${w.id}_`);
  });
});
