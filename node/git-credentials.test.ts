// Git credentials through the node's one workspace start pipeline: every way a workspace starts gets its own socket.
import { afterEach, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  askCredential,
  eventually,
  socketConnects,
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

/** What git's credential helper would get on the socket this environment names. */
async function credential(
  env: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const r = await askCredential(env.WARREN_GIT_SOCKET ?? '/nonexistent/git.sock', { headers });
  return { status: r.status, text: await r.text() };
}

const running = (n: TestNode, id: string) =>
  eventually(() => n.runtime.get(id)?.status === 'running', `workspace ${id} running`);

/** A node with two running workspaces. */
async function twoRunning() {
  const iss = await issuer();
  const n = await node({ controlUrl: iss.url, joinToken: iss.joinToken() });
  const [w1, w2] = [spec(), spec()];
  for (const w of [w1, w2]) await iss.place(n.nodeId, w, n.url);
  for (const w of [w1, w2]) await running(n, w.id);
  return { n, w1, w2 };
}

describe('Git credentials in the workspace start pipeline', () => {
  it('gives every workspace on the node its own socket, and git a helper that is not written anywhere', async () => {
    const { n, w1, w2 } = await twoRunning();
    const e1 = processEnv(n, w1.id);
    const e2 = processEnv(n, w2.id);
    const runDir = join(n.dataDir, 'run', w1.id);
    expect(e1.WARREN_GIT_SOCKET).toBe(join(runDir, 'git.sock'));
    expect(n.gitSocket(w1.id)).toBe(e1.WARREN_GIT_SOCKET!);
    expect(e2.WARREN_GIT_SOCKET).toBe(n.gitSocket(w2.id)!);
    expect(e1.WARREN_GIT_SOCKET).not.toBe(e2.WARREN_GIT_SOCKET);
    expect(statSync(runDir).mode & 0o777).toBe(0o700);
    expect(e1.GIT_CONFIG_KEY_1).toBe('credential.helper');
    expect(e1.PATH?.split(':')[0]).toEndWith('node/git/bin');
    // The terminal gets the same environment as the app.
    expect(n.runtime.get(w1.id)!.env.WARREN_GIT_SOCKET).toBe(e1.WARREN_GIT_SOCKET);
    const c1 = await credential(e1);
    const c2 = await credential(e2);
    expect(c1.text).toContain(`password=ghs_${w1.id}_`);
    expect(c2.text).toContain(`password=ghs_${w2.id}_`);
    expect(c2.text).not.toContain(w1.id);
  });

  it("holds nothing in a workspace's environment that another workspace could read and present", async () => {
    const { n, w1, w2 } = await twoRunning();
    // The old attack: read W1's environment from /proc and present its secret. There is none to present.
    const stolen = processEnv(n, w1.id);
    const token = /password=(\S+)/.exec((await credential(stolen)).text)![1]!;
    expect(stolen.WARREN_GIT_SECRET).toBeUndefined();
    expect(stolen.WARREN_GIT_CREDENTIAL_URL).toBeUndefined();
    expect(Object.values(stolen).join('\n')).not.toContain(token);
    expect(Object.values(stolen).join('\n')).not.toContain('ghs_');
    // Whatever W2 copies from W1's environment, a request on W2's socket is W2's.
    const own = processEnv(n, w2.id);
    const c = await credential({ ...stolen, WARREN_GIT_SOCKET: own.WARREN_GIT_SOCKET });
    expect(c.text).toContain(`password=ghs_${w2.id}_`);
    expect(c.text).not.toContain(token);
  });

  it('serves a socket again after a crash restart and after a node restart, and none once stopped', async () => {
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
    const socket = first.gitSocket(w.id)!;
    // Which file: its inode with its change time, since a filesystem may give a new file the inode of a deleted one.
    const fileOf = (path: string) => {
      const st = statSync(path, { bigint: true });
      return `${st.ino}@${st.ctimeNs}`;
    };
    const inode = fileOf(socket);
    // Crash: the restarted process of the same run reaches the same socket.
    const pid = first.runtime.processGroup(w.id)!;
    process.kill(pid, 'SIGKILL');
    await eventually(
      () => first.runtime.processGroup(w.id) !== undefined && first.runtime.processGroup(w.id) !== pid,
      'the app restarted',
    );
    await running(first, w.id);
    expect((await credential(processEnv(first, w.id))).status).toBe(200);
    expect(fileOf(socket)).toBe(inode);
    // Node restart: the node's sockets go with it; the restored workspace gets a fresh one.
    await first.stop();
    closed = true;
    expect(existsSync(socket)).toBe(false);
    const second = await node({ controlUrl: iss.url, dataDir });
    await running(second, w.id);
    const after = processEnv(second, w.id);
    expect(after.WARREN_GIT_SOCKET).toBe(socket);
    expect(fileOf(socket)).not.toBe(inode);
    expect((await credential(after)).text).toContain(`password=ghs_${w.id}_`);
    // Stopped: the socket is gone, a connect fails.
    await iss.place(second.nodeId, { ...w, desiredState: 'stopped' }, second.url);
    await eventually(() => second.runtime.get(w.id)?.status === 'stopped', 'workspace stopped');
    expect(second.gitSocket(w.id)).toBeUndefined();
    expect(existsSync(socket)).toBe(false);
    expect(await socketConnects(socket)).toBe(false);
  });

  it("refuses a browser's request (Origin, Referer) even on the workspace's own socket", async () => {
    const iss = await issuer();
    const n = await node({ controlUrl: iss.url, joinToken: iss.joinToken() });
    const w = spec({ appCommand: null });
    await iss.place(n.nodeId, w, n.url);
    await running(n, w.id);
    const env = n.runtime.get(w.id)!.env;
    expect((await credential(env, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await credential(env, { referer: 'https://evil.example/x' })).status).toBe(403);
    expect((await credential(env)).status).toBe(200);
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
