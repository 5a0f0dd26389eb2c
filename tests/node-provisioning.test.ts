// End to end: the real control plane creates and deletes node machines with the `local` provider (real
// `warren node join` processes) through the API, with progress steps in order and the node id fixed up front.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeProvisioning } from '../contract/index.ts';
import { newId } from '../contract/index.ts';
import { createLog, defaultControlConfig, startControl } from '../control/index.ts';
import {
  createTestNodeKey,
  eventually,
  hashSecret,
  newSecret,
  startTestControl,
  type TestControl,
} from '../control/testing/index.ts';

let control: TestControl;

beforeAll(async () => {
  // Stands for a long-lived secret in the control plane's environment (master key, API keys…).
  process.env.WARREN_TEST_CONTROL_SECRET = 'not-for-nodes-0123456789';
  control = await startTestControl({ config: { heartbeatIntervalMs: 300 } });
});
afterAll(async () => {
  delete process.env.WARREN_TEST_CONTROL_SECRET;
  await control.stop();
});

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function until(nodeId: string, states: NodeProvisioning['state'][]): Promise<NodeProvisioning> {
  const record = await eventually(
    async () => {
      const r = await control.client.GET('/api/v1/nodes/{id}/provisioning', {
        params: { path: { id: nodeId } },
      });
      return r.data && states.includes(r.data.state) ? r.data : undefined;
    },
    `node ${nodeId} ${states.join('/')}`,
    30_000,
  );
  return record!;
}

describe('Creating and deleting nodes through the API (local provider)', () => {
  let nodeId: string;

  it('creates a node: 202 with a node id at once, then the steps in order, and the node joins under that id', async () => {
    const created = await control.client.POST('/api/v1/nodes', { body: {} });
    expect(created.response.status).toBe(202);
    const record = created.data as NodeProvisioning;
    nodeId = record.nodeId;
    expect(record).toMatchObject({ provider: 'local', state: 'provisioning' });

    const done = await until(nodeId, ['ready', 'failed']);
    expect(done.error).toBeUndefined();
    expect(done.state).toBe('ready');
    expect(done.events.map((e) => `${e.step}:${e.state}`)).toEqual([
      'join_token:started',
      'join_token:done',
      'machine:started',
      'machine:done',
      'node_started:started',
      'node_started:done',
    ]);
    const at = done.events.map((e) => e.at);
    expect([...at].sort((a, b) => a - b)).toEqual(at);

    const node = await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: nodeId } } });
    // A local node's human name: the first free local-N.
    expect(node.data).toMatchObject({ id: nodeId, name: 'local-1', status: 'online' });
    expect(node.data?.labels['warren.provider']).toBe('local');
    // The join token went through a 0600 file that the node deleted after joining.
    const dir = join(control.dataDir, 'nodes', nodeId);
    await eventually(() => !existsSync(join(dir, 'join-token')), 'the join token file deleted', 10_000);
    const [running] = await control.deps.fleet.provider.list();
    expect(running?.nodeId).toBe(nodeId);
    expect(alive(Number(running?.providerRef))).toBe(true);
    // Nothing secret in the progress shown to people.
    expect(JSON.stringify(done)).not.toContain('wrn_join_');
    // The node process inherits none of the control plane's WARREN_* settings (its secrets among them).
    const environ = readFileSync(`/proc/${running?.providerRef}/environ`, 'utf8').split('\0');
    expect(environ.some((e) => e.startsWith('WARREN_TEST_CONTROL_SECRET='))).toBe(false);
    expect(environ.some((e) => e.startsWith('WARREN_CONTROL_URL='))).toBe(true);
  });

  it('allows only admins to create nodes or read their progress', async () => {
    const anonymous = control.clientWith();
    const r = await anonymous.POST('/api/v1/nodes', { body: {} });
    expect(r.response.status).toBe(401);
    const g = await anonymous.GET('/api/v1/nodes/{id}/provisioning', { params: { path: { id: nodeId } } });
    expect(g.response.status).toBe(401);
    const d = await anonymous.DELETE('/api/v1/nodes/{id}', { params: { path: { id: nodeId } } });
    expect(d.response.status).toBe(401);
  });

  it('refuses to delete a node that hosts a workspace (409)', async () => {
    const project = await control.client.POST('/api/v1/projects', { body: { name: 'p' } });
    const ws = await control.client.POST('/api/v1/workspaces', {
      body: { projectId: project.data!.id, name: 'w', nodeId },
    });
    expect(ws.data?.nodeId).toBe(nodeId);
    const d = await control.client.DELETE('/api/v1/nodes/{id}', { params: { path: { id: nodeId } } });
    expect(d.response.status).toBe(409);
    await control.client.DELETE('/api/v1/workspaces/{id}', { params: { path: { id: ws.data!.id } } });
    await eventually(
      async () =>
        (await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id: ws.data!.id } } }))
          .response.status === 404,
      'the workspace deleted',
      15_000,
    );
  });

  it('deletes a node: machine destroyed, row gone, certificate revoked', async () => {
    const [running] = await control.deps.fleet.provider.list();
    const pid = Number(running?.providerRef);
    const d = await control.client.DELETE('/api/v1/nodes/{id}', { params: { path: { id: nodeId } } });
    expect(d.response.status).toBe(202);
    const done = await until(nodeId, ['deleted', 'failed']);
    expect(done.state).toBe('deleted');
    expect(done.events.map((e) => `${e.step}:${e.state}`)).toEqual(['machine_destroyed:done']);
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(control.dataDir, 'nodes', nodeId))).toBe(false);
    const gone = await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: nodeId } } });
    expect(gone.response.status).toBe(404);
    const revoked = await control.deps.store.revocations.list();
    expect(revoked.map((r) => r.subject)).toContain(`node:${nodeId}`);
  });

  it('reports a node that never joins as failed and leaves nothing behind', async () => {
    const broken = await startTestControl({
      config: {
        infra: {
          ...control.deps.config.infra,
          provider: { kind: 'local', nodeCommand: [process.execPath, '-e', 'process.exit(3)', '--'] },
        },
      },
    });
    try {
      const created = await broken.client.POST('/api/v1/nodes', { body: {} });
      const id = created.data!.nodeId;
      const done = await eventually(
        async () => {
          const r = await broken.client.GET('/api/v1/nodes/{id}/provisioning', { params: { path: { id } } });
          return r.data?.state === 'failed' ? r.data : undefined;
        },
        'provisioning failed',
        15_000,
      );
      expect(done!.error).toContain('exited with code 3');
      expect(done!.events.at(-1)).toMatchObject({ step: 'node_started', state: 'failed' });
      expect(await broken.deps.fleet.provider.list()).toEqual([]);
      expect((await broken.client.GET('/api/v1/nodes')).data?.items).toEqual([]);
    } finally {
      await broken.stop();
    }
  });

  it('refuses members: creating, reading and deleting nodes is for admins (403)', async () => {
    const user = await control.client.POST('/api/v1/users', { body: { name: 'member' } });
    const member = control.clientWith(user.data!.apiToken);
    expect((await member.POST('/api/v1/nodes', { body: {} })).response.status).toBe(403);
    const anyNode = newId('node');
    const g = await member.GET('/api/v1/nodes/{id}/provisioning', { params: { path: { id: anyNode } } });
    expect(g.response.status).toBe(403);
    const d = await member.DELETE('/api/v1/nodes/{id}', { params: { path: { id: anyNode } } });
    expect(d.response.status).toBe(403);
  });
});

describe('Join tokens bound to a node id', () => {
  async function boundToken(nodeId: string): Promise<string> {
    const token = newSecret('joinToken');
    const now = Date.now();
    await control.deps.store.joinTokens.insert({
      id: newId('joinToken'),
      tokenHash: hashSecret(token),
      createdBy: null,
      laptop: false,
      labels: '{}',
      createdAt: now,
      expiresAt: now + 60_000,
      usedAt: null,
      usedByNode: null,
      nodeId,
    });
    return token;
  }
  const join = async (token: string, key: Awaited<ReturnType<typeof createTestNodeKey>>) =>
    control.clientWith().POST('/api/v1/nodes/join', {
      body: {
        joinToken: token,
        name: 'bound',
        publicKey: key.publicKey,
        address: 'http://127.0.0.1:9',
        capacity: { workspaces: 1 },
      },
    });

  it('gives the joining node exactly the id the token was minted for', async () => {
    const id = newId('node');
    const joined = await join(await boundToken(id), await createTestNodeKey());
    expect(joined.response.status).toBe(200);
    expect(joined.data?.nodeId).toBe(id);
  });

  it("refuses a machine already known under another id that presents another node's token", async () => {
    const key = await createTestNodeKey();
    const first = await join(await boundToken(newId('node')), key);
    expect(first.response.status).toBe(200);
    const other = newId('node');
    const second = await join(await boundToken(other), key);
    expect(second.response.status).toBe(401);
    expect(
      (await control.client.GET('/api/v1/nodes/{id}', { params: { path: { id: other } } })).response.status,
    ).toBe(404);
  });
});

describe('warren node create / delete', () => {
  const cli = async (...args: string[]) => {
    const p = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, '../cli/main.ts'),
        'node',
        ...args,
        '--url',
        control.url,
        '--token',
        control.adminToken,
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    );
    return {
      code: await p.exited,
      out: await new Response(p.stdout).text(),
      err: await new Response(p.stderr).text(),
    };
  };

  it('creates a node printing each step, then deletes it', async () => {
    const created = await cli('create');
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    const id = /^node (nd[0-9a-z]+) ready$/m.exec(created.out)?.[1];
    expect(id).toBeDefined();
    const steps = created.out
      .split('\n')
      .map((l) => /^\d\d:\d\d:\d\d (\w+ \w+)/.exec(l)?.[1])
      .filter(Boolean);
    expect(steps).toEqual([
      'join_token started',
      'join_token done',
      'machine started',
      'machine done',
      'node_started started',
      'node_started done',
    ]);
    const deleted = await cli('delete', id!);
    expect(deleted.code).toBe(0);
    expect(deleted.out).toContain(`node ${id} deleted`);
    const again = await cli('delete', id!);
    expect(again.code).toBe(1);
    expect(again.err).toContain('404');
  }, 60_000);
});

describe('Local node machines across a control plane restart', () => {
  it('stops them with the control plane, keeps them, and starts them again under the same id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-restart-'));
    // A fixed issuer: on port 0 the URL (the default `iss`) changes with the restart.
    const config = {
      ...defaultControlConfig(dir),
      port: 0,
      heartbeatIntervalMs: 300,
      issuer: 'warren-restart-test',
    };
    const log = createLog({ quiet: true });
    try {
      const first = await startControl(config, { log });
      const record = first.deps.fleet.create({ createdBy: null });
      await first.deps.fleet.settled(record.nodeId);
      expect(record.state).toBe('ready');
      const [before] = await first.deps.fleet.provider.list();
      await first.stop();
      expect(alive(Number(before?.providerRef))).toBe(false);
      expect(existsSync(join(dir, 'nodes', record.nodeId, 'node', 'node.json'))).toBe(true);

      // Another port: the resumed node is told the new URL.
      const since = Date.now();
      const second = await startControl(config, { log });
      try {
        const node = await eventually(
          async () => {
            const n = await second.deps.store.nodes.get(record.nodeId);
            return n && (n.lastHeartbeatAt ?? 0) > since ? n : undefined;
          },
          'the node heartbeating again',
          20_000,
        );
        expect(node!.status).toBe('online');
        const [after] = await second.deps.fleet.provider.list();
        expect(after?.nodeId).toBe(record.nodeId);
        expect(alive(Number(after?.providerRef))).toBe(true);
        expect((await second.deps.store.nodes.list()).length).toBe(1);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
