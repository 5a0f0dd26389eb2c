// The node's data dir modes at start: a loose dir and loose secrets are fixed and logged (paths only); workspaces
// keep their own modes.
import { afterEach, describe, expect, it } from 'bun:test';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startTestIssuer,
  startTestNode,
  type TestIssuer,
  type TestNode,
  tempDataDir,
} from './testing/index.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function issuer(): Promise<TestIssuer> {
  const i = await startTestIssuer({ heartbeatIntervalMs: 60_000 });
  cleanups.push(() => i.stop());
  return i;
}

/** A node on `dir`; stopped at the end of the test (the dir is removed separately). */
async function node(iss: TestIssuer, dir: string, joinToken?: string): Promise<TestNode> {
  const n = await startTestNode({ controlUrl: iss.url, dataDir: dir, ...(joinToken ? { joinToken } : {}) });
  cleanups.push(() => n.stop());
  return n;
}

function dataDir(): string {
  const d = tempDataDir();
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;
const fixedLines = (n: TestNode) => n.logLines.filter((l) => l.startsWith('file mode fixed'));

describe('Node data dir', () => {
  it('creates its dir, logs and workspaces 0700 and its key, state and transcripts 0600, and warns of nothing on the next start', async () => {
    const iss = await issuer();
    const dir = dataDir();
    const first = await node(iss, dir, iss.joinToken());
    for (const d of ['.', 'logs', 'workspaces'])
      expect(`${d} ${modeOf(join(dir, d)).toString(8)}`).toBe(`${d} 700`);
    const files = ['identity.json', 'node.json', 'agent-transcripts.db', 'agent-transcripts.db-wal'];
    for (const f of files) expect(`${f} ${modeOf(join(dir, f)).toString(8)}`).toBe(`${f} 600`);
    expect(fixedLines(first)).toEqual([]);
    await first.stop();
    const again = await node(iss, dir);
    expect(fixedLines(again)).toEqual([]);
  });

  it('sets a 0755 data dir and 0644 secrets and logs to 0700/0600 at start, one line per path, never their content', async () => {
    const iss = await issuer();
    const dir = dataDir();
    await (await node(iss, dir, iss.joinToken())).stop();
    const log = join(dir, 'logs', 'ws_loose.log');
    writeFileSync(log, 'app output\n');
    const workspace = join(dir, 'workspaces', 'ws_loose');
    mkdirSync(workspace);
    const loose = ['identity.json', 'node.json', 'agent-tasks.json', 'agent-transcripts.db'].map((f) =>
      join(dir, f),
    );
    for (const f of [...loose, log]) chmodSync(f, 0o644);
    for (const d of [dir, join(dir, 'logs'), join(dir, 'workspaces'), workspace]) chmodSync(d, 0o755);

    const again = await node(iss, dir);
    for (const d of [dir, join(dir, 'logs'), join(dir, 'workspaces')]) expect(modeOf(d)).toBe(0o700);
    for (const f of [...loose, log]) expect(modeOf(f)).toBe(0o600);
    // A workspace's own directory is the workspace's business.
    expect(modeOf(workspace)).toBe(0o755);
    const lines = fixedLines(again);
    expect(lines.sort()).toEqual(
      [
        ...[dir, join(dir, 'logs'), join(dir, 'workspaces')].map(
          (p) => `file mode fixed: ${p} was 0755, now 0700`,
        ),
        ...[...loose, log].map((p) => `file mode fixed: ${p} was 0644, now 0600`),
      ].sort(),
    );
    const key = JSON.parse(readFileSync(join(dir, 'identity.json'), 'utf8')) as { d: string };
    const membership = JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8')) as { certificate: string };
    for (const secret of [key.d, membership.certificate, 'app output'])
      expect(again.logLines.join('\n')).not.toContain(secret);
  });
});
