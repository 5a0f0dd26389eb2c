// Projects through the API: create with workspace defaults, list with repositories, rename and change defaults,
// delete; a new workspace starts from its project's defaults unless its request says otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { startTestControl, type TestControl } from './testing/index.ts';

let control: TestControl;

beforeAll(async () => {
  control = await startTestControl();
});
afterAll(async () => {
  await control.stop();
});

const get = (id: string, client = control.client) =>
  client.GET('/api/v1/projects/{id}', { params: { path: { id } } });
const patch = (id: string, body: Record<string, unknown>, client = control.client) =>
  client.PATCH('/api/v1/projects/{id}', { params: { path: { id } }, body: body as never });

describe('Projects', () => {
  it('creates a project with defaults and shows them, with no repositories until one is bound', async () => {
    const created = await control.client.POST('/api/v1/projects', {
      body: {
        name: 'shop',
        description: 'the web shop',
        appCommand: 'bun run dev',
        agentCommand: 'claude-code-acp',
        resources: { memoryMb: 1024, cpus: 1.5 },
      },
    });
    expect(created.response.status).toBe(200);
    expect(created.data).toMatchObject({
      name: 'shop',
      description: 'the web shop',
      appCommand: 'bun run dev',
      agentCommand: 'claude-code-acp',
      resources: { memoryMb: 1024, cpus: 1.5 },
      repositories: [],
    });
    const plain = await control.client.POST('/api/v1/projects', { body: { name: 'plain' } });
    expect(plain.data).toMatchObject({
      appCommand: null,
      agentCommand: null,
      resources: {},
      repositories: [],
    });
    const listed = (await control.client.GET('/api/v1/projects')).data!.items;
    expect(listed.map((p) => p.name)).toEqual(expect.arrayContaining(['shop', 'plain']));
    expect(listed.find((p) => p.name === 'shop')!.resources).toEqual({ memoryMb: 1024, cpus: 1.5 });
  });

  it('lists the repositories bound to a project, primary first', async () => {
    const p = (await control.client.POST('/api/v1/projects', { body: { name: 'repos' } })).data!;
    const db = control.deps.database.client;
    await db.execute({
      sql: 'INSERT INTO project_github (project_id, installation_id) VALUES (?, 1)',
      args: [p.id],
    });
    for (const [id, name, role] of [
      [2, 'acme/lib', 'additional'],
      [1, 'acme/shop', 'primary'],
    ] as const)
      await db.execute({
        sql: 'INSERT INTO project_repos (project_id, repo_id, full_name, role) VALUES (?, ?, ?, ?)',
        args: [p.id, id, name, role],
      });
    const expected: { repoId: number; fullName: string; role: 'primary' | 'additional' }[] = [
      { repoId: 1, fullName: 'acme/shop', role: 'primary' },
      { repoId: 2, fullName: 'acme/lib', role: 'additional' },
    ];
    expect((await get(p.id)).data!.repositories).toEqual(expected);
    const listed = (await control.client.GET('/api/v1/projects')).data!.items;
    expect(listed.find((x) => x.id === p.id)!.repositories).toEqual(expected);
  });

  it('renames a project and changes or clears its defaults; a bad value is a 400 that changes nothing', async () => {
    const p = (
      await control.client.POST('/api/v1/projects', { body: { name: 'old', appCommand: 'npm start' } })
    ).data!;
    const renamed = await patch(p.id, {
      name: 'new name',
      agentCommand: 'agent --acp',
      resources: { pids: 512 },
    });
    expect(renamed.response.status).toBe(200);
    expect(renamed.data).toMatchObject({
      name: 'new name',
      appCommand: 'npm start',
      agentCommand: 'agent --acp',
      resources: { pids: 512 },
    });
    const cleared = await patch(p.id, { appCommand: null });
    expect(cleared.data!.appCommand).toBeNull();
    expect(cleared.data!.agentCommand).toBe('agent --acp');

    for (const bad of [{ name: '' }, { name: '../x' }, { resources: { memoryMb: 1 } }, { appCommand: '' }]) {
      const r = await patch(p.id, bad);
      expect(r.response.status).toBe(400);
      expect(r.error!.error.code).toBe('invalid_request');
    }
    expect((await get(p.id)).data).toMatchObject({ name: 'new name', resources: { pids: 512 } });
  });

  it('asks a person about agent permissions unless the project allows them; other values are a 400', async () => {
    const asked = (await control.client.POST('/api/v1/projects', { body: { name: 'asks' } })).data!;
    expect(asked.agentPermissions).toBe('ask');
    const allowed = (
      await control.client.POST('/api/v1/projects', { body: { name: 'allows', agentPermissions: 'allow' } })
    ).data!;
    expect(allowed.agentPermissions).toBe('allow');
    expect((await patch(allowed.id, { agentPermissions: 'ask' })).data!.agentPermissions).toBe('ask');
    const bad = await patch(allowed.id, { agentPermissions: 'always' as 'ask' });
    expect(bad.response.status).toBe(400);
    expect((await get(allowed.id)).data!.agentPermissions).toBe('ask');
  });

  it("hides another user's project: get, rename and delete are 404 and change nothing", async () => {
    const p = (await control.client.POST('/api/v1/projects', { body: { name: 'admins' } })).data!;
    const member = await control.client.POST('/api/v1/users', { body: { name: 'member' } });
    const other = control.clientWith(member.data!.apiToken);
    expect((await get(p.id, other)).response.status).toBe(404);
    expect((await patch(p.id, { name: 'taken' }, other)).response.status).toBe(404);
    const del = await other.DELETE('/api/v1/projects/{id}', { params: { path: { id: p.id } } });
    expect(del.response.status).toBe(404);
    expect((await get(p.id)).data!.name).toBe('admins');
  });

  it('starts a new workspace from the project defaults, unless the request says otherwise', async () => {
    const p = (
      await control.client.POST('/api/v1/projects', {
        body: {
          name: 'defaults',
          appCommand: 'bun dev',
          agentCommand: 'agent',
          resources: { memoryMb: 512 },
        },
      })
    ).data!;
    const inherits = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'a', projectId: p.id },
    });
    expect(inherits.data).toMatchObject({
      appCommand: 'bun dev',
      agentCommand: 'agent',
      resources: { memoryMb: 512 },
    });
    const own = await control.client.POST('/api/v1/workspaces', {
      body: { name: 'b', projectId: p.id, appCommand: 'make run', resources: { pids: 64 } },
    });
    expect(own.data).toMatchObject({
      appCommand: 'make run',
      agentCommand: 'agent',
      resources: { pids: 64 },
    });
    // Changing the defaults later leaves existing workspaces as they are.
    await patch(p.id, { appCommand: 'other' });
    const again = await control.client.GET('/api/v1/workspaces/{id}', {
      params: { path: { id: inherits.data!.id } },
    });
    expect(again.data!.appCommand).toBe('bun dev');
  });

  it('deletes a project with its workspaces', async () => {
    const p = (await control.client.POST('/api/v1/projects', { body: { name: 'gone' } })).data!;
    const ws = await control.client.POST('/api/v1/workspaces', { body: { name: 'w', projectId: p.id } });
    const del = await control.client.DELETE('/api/v1/projects/{id}', { params: { path: { id: p.id } } });
    expect(del.response.status).toBe(200);
    expect(del.data!.name).toBe('gone');
    expect((await get(p.id)).response.status).toBe(404);
    const w = await control.client.GET('/api/v1/workspaces/{id}', { params: { path: { id: ws.data!.id } } });
    expect(w.response.status).toBe(404);
  });
});
